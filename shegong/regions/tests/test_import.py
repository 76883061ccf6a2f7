import re

import pytest
from django.core.management import CommandError, call_command

from shegong.regions.models import Level, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, encoding: str = "utf-8"):
        path = tmp_path / "regions.csv"
        path.write_bytes(text.encode(encoding))
        return path

    return write


def test_it_creates_regions_with_levels_and_parents(csv_file):
    path = csv_file(
        "code,name\n"
        "130111000000,栾城区\n"
        "130111100201,东庄村\n"  # a village before its township: order does not matter
        "130111100000,栾城镇\n"
    )

    call_command("import_regions", str(path))

    district, township, village = Region.objects.order_by("code")
    assert (district.level, district.parent) == (Level.DISTRICT, None)
    assert (township.level, township.parent) == (Level.TOWNSHIP, district)
    assert (village.name, village.level, village.parent) == ("东庄村", Level.VILLAGE, township)
    assert not village.is_generated


def test_it_reads_a_gbk_file_without_a_header_and_a_six_digit_district(csv_file):
    path = csv_file("130111,栾城区\n130111100000,栾城镇\n", encoding="gbk")

    call_command("import_regions", str(path))

    assert dict(Region.objects.values_list("code", "name")) == {
        "130111000000": "栾城区",
        "130111100000": "栾城镇",
    }


def test_importing_again_renames_instead_of_duplicating(csv_file, regions):
    path = csv_file("130111100201,东庄社区\n")

    call_command("import_regions", str(path))

    assert Region.objects.get(code="130111100201").name == "东庄社区"
    assert Region.objects.count() == 6


def test_a_bad_code_names_the_row_and_nothing_is_created(csv_file):
    path = csv_file("code,name\n130111000000,栾城区\n13011110000,短了一位\n130111100000,栾城镇\n")

    with pytest.raises(CommandError) as caught:
        call_command("import_regions", str(path))

    message = str(caught.value)
    assert "13011110000" in message
    assert re.search(r"(?<!\d)3(?!\d)", message.replace("13011110000", "")), "row 3 is named"
    assert not Region.objects.exists()


def test_every_bad_row_is_listed(csv_file):
    path = csv_file("130111000000,栾城区\nABC,坏\n130111100000,\n")

    with pytest.raises(CommandError) as caught:
        call_command("import_regions", str(path))

    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert "ABC" in lines[0]
    assert not Region.objects.exists()


def test_a_region_without_a_parent_is_refused_and_nothing_is_created(csv_file):
    path = csv_file("130111000000,栾城区\n130111100201,东庄村\n")

    with pytest.raises(CommandError) as caught:
        call_command("import_regions", str(path))

    assert "130111100000" in str(caught.value)
    assert not Region.objects.exists()
