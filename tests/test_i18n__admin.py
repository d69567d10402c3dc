"""The Django admin speaks Chinese first: model names, field labels, the app names and the third-party models it
shows (django-axes' lockouts, Django's groups), the permission lists included. English stays one switch away."""

import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.utils import translation

from flows.admin import THIRD_PARTY_MESSAGES
from flows.models import Assessment, RectificationItem

pytestmark = pytest.mark.django_db

# Every model the admin shows, by its Chinese (plural, singular) name.
CHINESE_NAMES = {
    "flows.organisation": ("党组织", "党组织"),
    "flows.user": ("人员", "人员"),
    "flows.roleassignment": ("任职", "职责"),
    "flows.oversightoffice": ("督导部门", "督导部门"),
    "flows.officemembership": ("部门成员", "部门成员"),
    "flows.auditentry": ("审计记录", "审计记录"),
    "flows.indicatortemplate": ("指标模板", "指标模板"),
    "flows.reviewcycle": ("考核周期", "考核周期"),
    "flows.assessment": ("考核", "考核"),
    "flows.rectificationitem": ("整改事项", "整改事项"),
    "flows.checklistitem": ("检查清单项目", "检查清单项目"),
    "auth.group": ("组", "组"),
    "axes.accessattempt": ("登录尝试", "登录尝试"),
    "axes.accesslog": ("登录日志", "登录日志"),
    "axes.accessfailurelog": ("登录失败记录", "登录失败记录"),
}

# Chinese labels each changelist and change page show (a sample per model, those that used to be English first).
CHINESE_LABELS = {
    "flows.organisation": ("组织类别", "领域", "领导组织（编码）", "指导组织"),
    "flows.reviewcycle": ("应启动考核数", "已启动考核数", "创建人"),
    "flows.assessment": ("流程实例", "考核周期", "综合得分"),
    "flows.rectificationitem": ("考核", "报告人", "验收人", "创建人", "流程实例"),
    "flows.indicatortemplate": ("创建时间", "顺序", "考核维度"),
    "axes.accessattempt": ("用户代理", "IP 地址", "失败次数", "状态", "登录尝试有效期", "表单数据"),
    "axes.accesslog": ("尝试时间", "退出时间", "路径"),
    "auth.group": ("可增加考核", "可查看整改事项"),
    "flows.user": ("可增加考核", "党建工作责任制 | 考核周期 | 可修改考核周期"),
}

# What the admin showed in English before: model and app names, field labels derived from field names, third-party
# labels and the permission names. Matched as whole words, case-sensitively, on the text a reader sees (data such
# as an audit row's subject type "assessment" is lower-case and one word, so it is not mistaken for a label).
ENGLISH = [
    "Organisations",
    "Organisation",
    "People",
    "Person",
    "Roles",
    "Role assignments",
    "Oversight offices",
    "Oversight office",
    "Office memberships",
    "Audit entries",
    "Audit entry",
    "Indicator templates",
    "Indicator template",
    "Review cycles",
    "Review cycle",
    "review cycle",
    "Assessments",
    "Rectification items",
    "Rectification item",
    "rectification item",
    "Checklist items",
    "checklist item",
    "audit entry",
    "indicator template",
    "oversight office",
    "office membership",
    "Guiding relations",
    "Groups",
    "Responsibility system",
    "Launch done",
    "Launch total",
    "Created by",
    "Created at",
    "Updated at",
    "Process",
    "Reported by",
    "Verified by",
    "Order",
    "Dimension",
    "Template",
    "Axes",
    "Access attempts",
    "Access logs",
    "Access failures",
    "access attempt",
    "access log",
    "access failure",
    "Attempt Time",
    "Logout Time",
    "IP Address",
    "User Agent",
    "Path",
    "Failed Logins",
    "Expires At",
    "Expiration",
    "Status",
    "Form Data",
    "Meta Data",
    "Locked Out",
    "Not set",
    "Workflow",
    "Process list",
    "Tasks",
    "Model name",
    "Add link",
    "Change or view list link",
    "Django administration",
    "Django site admin",
    "Can add",
    "Can change",
    "Can delete",
    "Can view",
]


def visible_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<option[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def english_in(text: str) -> list[str]:
    return [word for word in ENGLISH if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text)]


def key(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


@pytest.fixture
def examples(demo, admin_user):
    """One row of each admin model that the demo city has none of."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    assessment = Assessment.objects.order_by("pk").first()
    RectificationItem.objects.create(
        assessment=assessment,
        problem="三会一课记录不全",
        owner=admin_user,
        due=datetime.date(2026, 12, 31),
        created_by=admin_user,
    )
    Group.objects.create(name="督查员")
    common = {"user_agent": "浏览器", "ip_address": "10.0.0.8", "username": "shuji", "http_accept": "*/*"}
    AccessAttempt.objects.create(**common, path_info="/login/", get_data="", post_data="", failures_since_start=2)
    AccessFailureLog.objects.create(**common, path_info="/login/", locked_out=False)
    AccessLog.objects.create(**common, path_info="/login/")


def test_the_index_names_every_app_and_model_in_chinese(admin_client, examples):
    text = visible_text(admin_client.get("/admin/"))
    for chinese in ("党建工作责任制管理后台", "党建工作责任制", "登录安全", "认证和授权"):
        assert chinese in text, chinese
    for model in admin.site._registry:
        assert CHINESE_NAMES[key(model)][0] in text, key(model)
    assert english_in(text) == []


def test_every_registered_model_has_its_chinese_name_here():
    """A model newly registered in the admin gets a Chinese name (and a line in CHINESE_NAMES)."""
    assert sorted(key(model) for model in admin.site._registry) == sorted(CHINESE_NAMES)


def test_the_workflow_engine_rows_are_not_in_the_admin():
    from viewflow.workflow.models import Process, Task

    assert not admin.site.is_registered(Process) and not admin.site.is_registered(Task)


@pytest.mark.parametrize("name", sorted(CHINESE_NAMES))
def test_each_changelist_and_change_page_is_chinese(admin_client, examples, name):
    model = next(m for m in admin.site._registry if key(m) == name)
    plural, singular = CHINESE_NAMES[name]
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"

    listing = admin_client.get(base)
    assert listing.status_code == 200
    list_text = visible_text(listing)
    assert plural in list_text and singular in list_text
    assert english_in(list_text) == [], name

    obj = model._default_manager.order_by("pk").first()
    page = admin_client.get(f"{base}{obj.pk}/change/")
    assert page.status_code == 200
    text = visible_text(page)
    assert singular in text
    assert english_in(text) == [], name
    for label in CHINESE_LABELS.get(name, ()):
        assert label in list_text + text, (name, label)


def test_every_label_the_admin_shows_is_chinese(admin_user, examples):
    """Columns, form fields and inline fields of every registered model: each label has Chinese in it."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    cjk = re.compile(r"[\u4e00-\u9fff]")
    english = []

    def check(model, model_admin, names, form=None):
        for name in names:
            if name == "action_checkbox":
                continue
            form_field = form.base_fields.get(name) if form is not None else None
            label = form_field.label if form_field is not None and form_field.label else None
            label = label or label_for_field(name, model, model_admin)
            if not cjk.search(str(label)):
                english.append(f"{key(model)}.{name}: {label}")

    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            obj = model._default_manager.order_by("pk").first()
            check(model, model_admin, model_admin.get_list_display(request))
            form = model_admin.get_form(request, obj)
            check(model, model_admin, model_admin.get_fields(request, obj), form)
            for inline in model_admin.get_inline_instances(request, obj):
                inline_form = inline.get_formset(request, obj).form
                check(inline.model, inline, inline.get_fields(request, obj), inline_form)
    assert english == []


def test_the_third_party_strings_are_translated_here():
    with translation.override("zh-hans"):
        untranslated = [m for m in THIRD_PARTY_MESSAGES if translation.gettext(m) == m]
    assert untranslated == []


def test_english_is_still_one_switch_away(admin_client, examples):
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    text = visible_text(admin_client.get("/admin/"))
    assert "Review cycles" in text and "Rectification items" in text and "考核周期" not in text
    text = visible_text(admin_client.get("/admin/flows/reviewcycle/"))
    assert "Launch done" not in text and "Assessments launched" in text
