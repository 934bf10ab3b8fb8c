from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citylab import audit
from citylab.models import (
    AgeBand,
    AuditEvent,
    Community,
    District,
    Membership,
    Occupation,
    PopulationFigure,
    Team,
    User,
)
from citylab.population import PopulationImportError, import_population_csv


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    PRIVILEGES = ("is_active", "is_staff", "is_superuser")

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # An administrator's rights (and closing an account) are role changes too.
        changed = {name: getattr(obj, name) for name in self.PRIVILEGES if change and name in form.changed_data}
        if changed:
            audit.record(request, "user.privileges_changed", obj, member=obj.email, **changed)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and {"groups", "user_permissions"} & set(form.changed_data):
            audit.record(request, "user.permissions_changed", form.instance, member=form.instance.email,
                         groups=sorted(g.name for g in form.instance.groups.all()),
                         permissions=form.instance.user_permissions.count())


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [MembershipInline]

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Who had which role before this save, for the trail: the rows change in place.
        previous = {
            row.pk: (row.user.email, row.role)
            for row in Membership.objects.filter(pk__in=[f.instance.pk for f in formset.initial_forms])
            .select_related("user")
        }
        removed = [previous[f.instance.pk] for f in formset.deleted_forms if f.instance.pk in previous]
        super().save_formset(request, form, formset, change)
        audit.membership_changes(request, formset, previous, removed)


class CommunityInline(admin.TabularInline):
    model = Community
    extra = 0


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [CommunityInline]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "district"]
    list_filter = ["district"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(AgeBand)
class AgeBandAdmin(admin.ModelAdmin):
    list_display = ["code", "min_age", "max_age"]


@admin.register(Occupation)
class OccupationAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order"]
    list_editable = ["order"]


class PopulationUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: district,age_band,population — district and age band by their codes."),
    )


@admin.register(PopulationFigure)
class PopulationFigureAdmin(admin.ModelAdmin):
    list_display = ["district", "age_band", "population", "updated_at"]
    list_filter = ["district", "age_band"]
    list_select_related = ["district", "age_band"]
    change_list_template = "admin/citylab/populationfigure/change_list.html"

    def get_urls(self):
        urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_csv),
                name="citylab_populationfigure_import",
            )
        ]
        return urls + super().get_urls()

    def import_csv(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request) or not self.has_add_permission(request):
            raise PermissionDenied
        form = PopulationUploadForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                summary = import_population_csv(form.cleaned_data["file"].read())
            except PopulationImportError as error:
                problems = error.problems
            else:
                self.message_user(
                    request,
                    _("%(total)s figures imported (%(created)s new, %(updated)s updated).")
                    % {"total": summary.total, "created": summary.created, "updated": summary.updated},
                    messages.SUCCESS,
                )
                return redirect("admin:citylab_populationfigure_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "problems": problems,
            "title": _("Import population figures"),
        }
        return TemplateResponse(request, "admin/citylab/populationfigure/import.html", context)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is evidence, so nobody edits or deletes it here."""

    list_display = ["at", "actor_email", "action", "target", "team", "address"]
    list_filter = ["action", "team"]
    search_fields = ["actor_email", "target", "action"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        export = path("export.csv", self.admin_site.admin_view(self.export_csv), name="citylab_auditevent_export")
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        """The events the list shows now (its filters, search and dates), as CSV, streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        events = self.get_changelist_instance(request).get_queryset(request)
        audit.record(request, "audit.exported", None, filters=request.GET.urlencode())
        response = StreamingHttpResponse(audit.csv_lines(events), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="citylab-audit-{timezone.localdate():%Y%m%d}.csv"'
        return response
