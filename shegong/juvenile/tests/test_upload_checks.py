"""Case documents and joint-opinion documents go through the shared upload checks
(shegong/uploads.py): a program or a disguised file is refused and nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from django.utils.translation import gettext

from shegong import uploads
from shegong.juvenile import services
from shegong.juvenile.models import Document, JointOpinion

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00" + bytes(300)
PROGRAM = "This file is a program or script, not a document: it cannot be uploaded."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def accepted(referral, juvenile_worker):
    return services.referral_accept(
        by=juvenile_worker, referral_id=referral.pk, version=referral.version
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [("成绩单.pdf", EXE), ("成绩单.exe", EXE), ("成绩单.pdf", b"\x89PNG\r\n\x1a\n" + bytes(50))],
)
def test_a_document_that_is_not_what_it_says_is_refused(accepted, juvenile_worker, name, content):
    with pytest.raises(ValidationError) as caught:
        services.document_add(
            by=juvenile_worker,
            referral_id=accepted.pk,
            title="成绩单",
            file=SimpleUploadedFile(name, content),
        )

    assert list(caught.value.message_dict) == ["file"]
    assert not Document.objects.exists()


def test_a_document_over_the_limit_is_refused(accepted, juvenile_worker, settings):
    settings.SHEGONG_UPLOAD_MAX_BYTES = 1024

    with pytest.raises(ValidationError) as caught:
        services.document_add(
            by=juvenile_worker,
            referral_id=accepted.pk,
            title="判决书",
            file=SimpleUploadedFile("判决书.pdf", b"%PDF-1.4 " + bytes(4096)),
        )

    assert caught.value.message_dict["file"] == uploads.too_large(1024).messages


def test_a_real_pdf_is_still_accepted(accepted, juvenile_worker):
    document = services.document_add(
        by=juvenile_worker,
        referral_id=accepted.pk,
        title="成绩单",
        file=SimpleUploadedFile("成绩单.pdf", b"%PDF-1.4 test"),
    )

    assert document.file.read() == b"%PDF-1.4 test"


def test_a_joint_opinion_with_a_program_for_its_document_is_refused(
    client_for, juvenile_supervisor, procuratorate, other_agency
):
    response = client_for(juvenile_supervisor).post(
        "/juvenile/opinions/new/",
        {
            "title": "联合意见",
            "parties": [procuratorate.pk, other_agency.pk],
            "signed_on": (dt.date.today() - dt.timedelta(days=30)).isoformat(),
            "scope": "涉案未成年人",
            f"resp-{procuratorate.pk}": "转介",
            f"resp-{other_agency.pk}": "指导",
            "document": SimpleUploadedFile("opinion.pdf", EXE),
        },
    )

    assert response.status_code in (200, 422)
    assert escape(gettext(PROGRAM)) in response.content.decode()
    assert not JointOpinion.objects.exists()
