"""Django admin. Organisation changes go through the same services as every other door."""

from django import forms as djforms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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
class UserAdmin(BaseUserAdmin):
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
