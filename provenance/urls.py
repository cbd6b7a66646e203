from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from evidence import urls as evidence_urls
from evidence import views as evidence_views
from provenance import health
from provenance.accounts import notification_views
from provenance.accounts import views as team_views
from provenance.claims import (
    views,
    views_entities,
    views_evidence,
    views_maps,
    views_people,
    views_relationships,
)
from provenance.entities import views as entity_views
from provenance.entities import views_ftm
from provenance.publishing import dossier_views, factcheck_views
from provenance.publishing.api import views as api_views
from provenance.search import filters as search_filters
from provenance.search import views as search_views

app_name = "provenance"

claim_patterns = [
    path("", views.claim_list, name="claim-list"),
    path("claims/new/", views.claim_create, name="claim-create"),
    path("claims/export.csv", views.claim_list_csv, name="claim-list-csv"),
    path(
        "claims/import/",
        factcheck_views.factcheck_import_page,
        name="factcheck-import",
    ),
    path(
        "claims/<int:pk>/same-as/",
        factcheck_views.claim_same_as,
        name="claim-same-as",
    ),
    path("claims/<int:pk>/", views.claim_detail, name="claim-detail"),
    path("claims/<int:pk>/edit/", views.claim_edit, name="claim-edit"),
    path("claims/<int:pk>/correct/", views.claim_correct, name="claim-correct"),
    path(
        "claims/<int:pk>/timeline.svg",
        views.claim_timeline_svg,
        name="claim-timeline-svg",
    ),
    path("claims/<int:pk>/versions/", views.claim_versions, name="claim-versions"),
    path(
        "claims/<int:pk>/dossier/",
        dossier_views.claim_dossier_page,
        name="claim-dossier",
    ),
    path(
        "claims/<int:pk>/dossier.pdf",
        dossier_views.claim_dossier_pdf,
        name="claim-dossier-pdf",
    ),
    path("claims/<int:pk>/assess/", views.claim_assess, name="claim-assess"),
    path(
        "claims/<int:pk>/quantity/",
        views.claim_quantity_estimate,
        name="claim-quantity-estimate",
    ),
    path(
        "claims/<int:pk>/quantity/from-annotation/",
        views.claim_estimate_from_annotation,
        name="claim-estimate-from-annotation",
    ),
    path("claims/<int:pk>/evidence/", include(views_evidence.urlpatterns)),
    path("map/", views_maps.team_map, name="team-map"),
    path(
        "entities/",
        entity_views.entity_list,
        {"narrow": search_filters.entity_narrowing},
        name="entity-list",
    ),
    path("datasets/import/", views_ftm.dataset_import, name="dataset-import"),
    path(
        "datasets/imports/<int:pk>/",
        views_ftm.dataset_import_detail,
        name="dataset-import-detail",
    ),
    path("screening/", views_ftm.screening, name="screening"),
    path(
        "screening/<int:pk>/decide/",
        views_ftm.screening_decision,
        name="screening-decide",
    ),
    path("entities/new/", entity_views.entity_create, name="entity-create"),
    path("entities/<slug:slug>/", views_entities.entity_detail, name="entity-detail"),
    path("entities/<slug:slug>/edit/", entity_views.entity_edit, name="entity-edit"),
    path(
        "entities/<slug:slug>/relationships/",
        include(views_relationships.entity_urlpatterns),
    ),
    path(
        "claims/<int:pk>/relationships/",
        include(views_relationships.claim_urlpatterns),
    ),
    path("team/", team_views.team_switch, name="team-switch"),
    path("team/settings/", team_views.team_settings, name="team-settings"),
    path(
        "notifications/",
        notification_views.notification_list,
        name="notification-list",
    ),
    path(
        "notifications/read/",
        notification_views.notification_mark_read,
        name="notification-mark-read",
    ),
    path(
        "notifications/unread.json",
        notification_views.notification_unread,
        name="notification-unread",
    ),
    path(
        "account/notifications/",
        notification_views.notification_settings,
        name="notification-settings",
    ),
    path("search/", search_views.search_page, name="search"),
    path("search/saved/", search_views.saved_searches, name="saved-searches"),
    path("search/suggest/", search_views.suggest, name="search-suggest"),
    path("review/", views.review_queue, name="review-queue"),
    path("glossary/", views.glossary, name="glossary"),
    path("claims/<int:pk>/review/", views.claim_review, name="claim-review"),
    # Comments, assignments, watching (issue 16)
    path("claims/<int:pk>/comments/", views_people.claim_comment, name="claim-comment"),
    path("evidence/<int:pk>/comments/", views_people.item_comment, name="item-comment"),
    path(
        "comments/<int:comment_id>/",
        views_people.comment_detail,
        name="comment-detail",
    ),
    path(
        "comments/<int:comment_id>/delete/",
        views_people.comment_delete,
        name="comment-delete",
    ),
    path("claims/<int:pk>/assign/", views_people.claim_assign, name="claim-assign"),
    path("claims/<int:pk>/watch/", views_people.claim_watch, name="claim-watch"),
    path("team/members.json", views_people.team_members, name="team-members"),
    path("my-work/", views_people.my_work, name="my-work"),
]

# The evidence list's subject and tag rule needs the claims room above evidence:
# handed to the view here, where every room may be imported.
evidence_patterns = [
    path(
        "",
        evidence_views.item_list,
        {"narrow": search_filters.evidence_narrowing},
        name="item-list",
    ),
    *evidence_urls.urlpatterns,
]

urlpatterns = [
    path("", include((claim_patterns, "provenance"))),
    path("evidence/", include((evidence_patterns, "evidence"))),
    path("replay/", include("evidence.captures.urls")),
    path("api/v1/", include(("provenance.publishing.api.urls", "api"))),
    path(
        ".well-known/provenance-signing-key",
        api_views.signing_public_key,
        name="signing-key",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/security/", include("provenance.accounts.second_factor_urls")),
    # The signed-in user's own account (issue 16).
    path("account/", team_views.account, name="account"),
    path("account/profile/", team_views.account_profile, name="account-profile"),
    path("account/email/", team_views.account_email, name="account-email"),
    path(
        "account/email/confirm/",
        team_views.account_email_confirm,
        name="account-email-confirm",
    ),
    path(
        "account/sessions/end/",
        team_views.account_sessions_end,
        name="account-sessions-end",
    ),
    path("account/token/", team_views.account_token, name="account-token"),
    path(
        "account/password/",
        team_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "account/password/done/",
        team_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
]

# Single sign-on (provenance/accounts/oidc.py) is routed only when configured.
if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("provenance.accounts.oidc_urls")))
