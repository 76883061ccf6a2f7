from django.urls import path

from . import views, views_followup, views_partners

app_name = "juvenile"

urlpatterns = [
    # referrals, the investigation and the report (views.py)
    path("", views.referral_list, name="referrals"),
    path("new/", views.referral_new, name="referral_new"),
    path("<int:pk>/", views.referral_detail, name="referral"),
    path("<int:pk>/interviews/new/", views.interview_new, name="interview_new"),
    path("<int:pk>/documents/new/", views.document_new, name="document_new"),
    path("<int:pk>/documents/<int:doc>/", views.document_download, name="document"),
    path("<int:pk>/report/", views.report_edit, name="report"),
    path("<int:pk>/report/<int:version>/<slug:action>/", views.report_action, name="report_action"),
    path("<int:pk>/report.docx", views.report_download, name="report_docx"),
    # guidance, orders, mentoring, closing (views_followup.py)
    path("<int:pk>/guidance/plan/", views_followup.plan_edit, name="plan"),
    path("<int:pk>/guidance/sessions/new/", views_followup.session_new, name="session_new"),
    path(
        "<int:pk>/guidance/assessment/<slug:stage>/",
        views_followup.assessment,
        name="guardian_assessment",
    ),
    path("<int:pk>/orders/new/", views_followup.order_new, name="order_new"),
    path("checks/<int:check>/", views_followup.check_record, name="check"),
    path("<int:pk>/mentoring/new/", views_followup.mentoring_new, name="mentoring_new"),
    path("<int:pk>/closing/", views_followup.closing, name="closing"),
    # partners, the joint opinion, contracts, overview (views_partners.py)
    path("overview/", views_partners.overview, name="overview"),
    path("partners/", views_partners.partners, name="partners"),
    path("opinions/<int:pk>/", views_partners.opinion_detail, name="opinion"),
    path("contracts/<int:pk>/", views_partners.contract_detail, name="contract"),
    path("partners/agencies/new/", views_partners.agency_new, name="agency_new"),
    path("opinions/new/", views_partners.opinion_new, name="opinion_new"),
    path("opinions/<int:pk>/document/", views_partners.opinion_document, name="opinion_document"),
    path("contracts/new/", views_partners.contract_new, name="contract_new"),
    path(
        "partners/agencies/<int:pk>/liaisons/",
        views_partners.agency_liaisons,
        name="agency_liaisons",
    ),
    # Last: it would swallow every other "<pk>/<word>/" above (report/, closing/ …).
    path("<int:pk>/<slug:action>/", views.referral_action, name="referral_action"),
]
