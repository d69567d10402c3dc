"""Django admin. Organisation changes go through the same services as every other door."""

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms as djforms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from viewflow.workflow import admin as viewflow_admin  # noqa: F401 - registers Process and Task, unregistered below
from viewflow.workflow.models import Process, Task

from flows.models import (
    Assessment,
    AuditEntry,
    ChecklistItem,
    Guidance,
    Indicator,
    IndicatorTemplate,
    OfficeMembership,
    Organisation,
    OversightOffice,
    RectificationItem,
    ReviewCycle,
    RoleAssignment,
    User,
)
from flows.services import organisations as org_services
from flows.services import people as people_services
from forms.organisations import OrganisationForm

admin.site.site_header = admin.site.site_title = _("Responsibility system administration")


# ---- third-party models ------------------------------------------------------------------------------------
# The admin speaks Chinese first, third-party models included. Our catalogue (settings.LOCALE_PATHS) takes precedence
# over every package's own, so it translates the strings the packages leave in English: django-axes ships no
# zh_Hans catalogue, django-viewflow an empty one, and Django 5.2's admin misses a few of its newer strings. Naming
# those msgids here keeps them in the catalogue: `bin/messages` (makemessages --no-obsolete) drops what the code
# does not name.
THIRD_PARTY_MESSAGES = (
    # Django's admin (the index's screen-reader table headers, the user add page, form errors)
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    # django-axes: its models, fields and admin
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Not set"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    # django-viewflow: its app and models, named in the permission lists (its admin is unregistered below)
    gettext_noop("Workflow"),
    gettext_noop("Process"),
    gettext_noop("Process list"),
    gettext_noop("Task"),
    gettext_noop("Tasks"),
)

# django-axes names its app after itself ("Axes"), untranslated; officials know it as the login lockout.
apps.get_app_config("axes").verbose_name = _("Login security")


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """Axes' own admin (deleting an attempt lifts that lockout), with labels its columns lack and a message in the
    catalogue: axes builds its action's message with an f-string, which no catalogue can translate."""

    @admin.display(description=_("Expires At"))
    def expiration(self, obj):
        return super().expiration(obj)

    @admin.display(description=_("status"))
    def status(self, obj):
        return super().status(obj)

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, _("Cleaned up %(count)s expired access attempts.") % {"count": count})


# The workflow engine's own rows (processes and tasks) are not the admin's business: every step goes through the
# services and the task screens, and viewflow's admin would edit a process's data outside them (and shows English
# labels that no catalogue reaches). Tasks are seen in the inbox, the queue, the archive and the stalled-task list.
for _engine_model in (Process, Task):
    if admin.site.is_registered(_engine_model):
        admin.site.unregister(_engine_model)


# ---- permissions, by name --------------------------------------------------------------------------------------
# Permission names are stored in English ("Can add assessment", Django writes them from the untranslated model
# name). The user and group pages label the standard ones from the translated model name instead.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
    "manage": _("Can manage %(model)s"),  # viewflow's extra permission on Process
}


def permission_label(permission) -> str:
    content_type = permission.content_type
    model = content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and model_name == model._meta.model_name and action in PERMISSION_ACTIONS:
        name = PERMISSION_ACTIONS[action] % {"model": model._meta.verbose_name}
    else:
        name = permission.name
    return f"{content_type} | {name}"


class PermissionLabelsMixin:
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and db_field.related_model is Permission:
            formfield.queryset = formfield.queryset.select_related("content_type")
            formfield.label_from_instance = permission_label
        return formfield


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabelsMixin, BaseGroupAdmin):
    pass


class GuidanceInline(admin.TabularInline):
    model = Guidance
    fk_name = "organisation"
    extra = 0
    autocomplete_fields = ["guide"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class CheckedFormSet(formset):
            def clean(self):
                super().clean()
                for form in self.forms:
                    guide = form.cleaned_data.get("guide") if hasattr(form, "cleaned_data") else None
                    if guide and self.instance.pk and not form.cleaned_data.get("DELETE"):
                        try:
                            org_services._check_guide(self.instance, guide)
                        except ValidationError as exc:
                            form.add_error("guide", exc.message_dict.get("guide", exc.messages))

        return CheckedFormSet


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["name", "code", "kind", "sector", "level", "regime", "classification", "weak_and_lax"]
    list_filter = ["kind", "sector", "level", "regime", "classification", "weak_and_lax"]
    search_fields = ["name", "short_name", "code"]
    inlines = [GuidanceInline, RoleInline]
    ordering = ["path"]

    def save_model(self, request, obj, form, change):
        form.save_via_service(by=request.user)

    def delete_model(self, request, obj):
        obj.delete()

    def has_delete_permission(self, request, obj=None):
        # Removing an organisation removes its subtree: done deliberately, one at a time, never in bulk.
        return super().has_delete_permission(request, obj) and obj is not None and obj.is_leaf()

    def save_related(self, request, form, formsets, change):
        form.instance = form.saved
        for fs in formsets:
            fs.instance = form.saved
        super().save_related(request, form, formsets, change)


@admin.register(User)
class UserAdmin(PermissionLabelsMixin, BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets[:1],
        (_("Person"), {"fields": ("real_name", "title", "email")}),
        *BaseUserAdmin.fieldsets[2:],
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "real_name", "password1", "password2")}),)
    list_display = ["username", "real_name", "title", "is_active", "is_staff"]
    search_fields = ["username", "real_name", "title"]
    inlines = [RoleInline]


class RoleAssignmentForm(djforms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "organisation", "role", "start", "end"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "organisation", "role", "start", "end"]
    list_filter = ["role"]
    search_fields = ["user__real_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            people_services.role_assign(
                by=request.user,
                user=obj.user,
                organisation=obj.organisation,
                role=obj.role,
                start=obj.start,
                end=obj.end,
            )


@admin.register(OversightOffice)
class OversightOfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "scope"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["scope"]


@admin.register(OfficeMembership)
class OfficeMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "office", "role", "start", "end"]
    list_filter = ["role", "office"]
    autocomplete_fields = ["user"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the log is append-only and hash-chained (`manage.py verify_audit` checks it)."""

    list_display = ["seq", "at", "actor", "action", "subject_type", "subject_id", "from_value", "to_value"]
    list_filter = ["action", "subject_type"]
    ordering = ["-seq"]
    readonly_fields = ["seq", "at", "prev_hash", "hash"]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---- the review cycle --------------------------------------------------------------------------------------
# State machines are not edited here: their state fields are protected, and every change of stage goes through
# the services (and the task screens). The admin shows cycles, templates and assessments, and edits only what
# carries no state: a template that no opened cycle uses.


class FrozenTemplateInline(admin.TabularInline):
    extra = 0

    def _editable(self, obj):
        return obj is None or not obj.is_frozen

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class IndicatorInline(FrozenTemplateInline):
    model = Indicator
    fields = ["order", "dimension", "code", "name", "max_points", "evidence_required", "veto", "guidance"]


@admin.register(IndicatorTemplate)
class IndicatorTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "version", "sector", "created_at"]
    list_filter = ["sector"]
    inlines = [IndicatorInline]

    def has_change_permission(self, request, obj=None):
        return (obj is None or not obj.is_frozen) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or not obj.is_frozen) and super().has_delete_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewCycle)
class ReviewCycleAdmin(ReadOnlyAdmin):
    list_display = ["name", "year", "office", "state", "launch_done", "launch_total"]
    list_filter = ["state", "office"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "cycle", "state", "combined_score", "rating", "outcome"]
    list_filter = ["cycle", "state", "rating"]
    search_fields = ["organisation__name", "organisation__code"]


@admin.register(RectificationItem)
class RectificationItemAdmin(ReadOnlyAdmin):
    list_display = ["problem", "assessment", "owner", "due", "state"]
    list_filter = ["state"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    """The inspectors' checklists are configured here, per sector; a new inspection copies the items in use."""

    list_display = ["code", "title", "sector", "order", "active"]
    list_filter = ["sector", "active"]
    list_editable = ["order", "active"]
