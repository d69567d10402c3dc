"""`python manage.py import_workbook <kind> <file> [--dry-run]`: the same report, non-zero exit on refusal."""

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from flows.models import Organisation
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


def roster(tmp_path, rows, name="orgs.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = "组织"
    ws.append(["组织编码", "组织名称", "组织类别", "层级", "上级党组织编码"])
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return str(path)


def test_dry_run_reports_and_writes_nothing_then_the_import_writes(tmp_path, demo, capsys):
    path = roster(tmp_path, [["JC-QS-HT-11", "河塘镇新建村支部", "党支部", "基层", "JC-QS-HT"]])
    officer = h.county_officer()
    call_command("import_workbook", "organisations", path, "--dry-run", "--user", officer.username)
    out = capsys.readouterr().out
    assert "组织!2 [new] JC-QS-HT-11" in out and "试运行：未写入任何数据。" in out
    assert not Organisation.objects.filter(code="JC-QS-HT-11").exists()
    call_command("import_workbook", "organisations", path, "--user", officer.username)
    assert Organisation.objects.get(code="JC-QS-HT-11").leading.code == "JC-QS-HT"
    call_command("import_workbook", "organisations", path, "--user", officer.username)
    assert "新增0，变更0，未变1" in capsys.readouterr().out


def test_a_refused_row_exits_non_zero_with_the_row_report(tmp_path, demo, capsys):
    path = roster(tmp_path, [["JC-QS-HT-12", "村", "居委会", "基层", "JC-QS-HT"]])
    with pytest.raises(CommandError) as exc:
        call_command("import_workbook", "organisations", path, "--user", h.county_officer().username)
    assert exc.value.returncode == 1
    assert "组织!C2" in capsys.readouterr().out
    assert not Organisation.objects.filter(code="JC-QS-HT-12").exists()


def test_a_hostile_file_exits_non_zero(tmp_path, demo, capsys):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(CommandError) as exc:
        call_command("import_workbook", "organisations", str(path))
    assert exc.value.returncode == 1
    assert ".xls" in capsys.readouterr().out


def test_the_real_command_line_exit_codes(tmp_path):
    """Through the shell, as an administrator runs it: an unknown kind is a usage error (2); a missing file, 2."""
    run = [sys.executable, "manage.py", "import_workbook"]
    usage = subprocess.run([*run, "nonsense", "x.xlsx"], capture_output=True, text=True)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
    missing = subprocess.run([*run, "scores", str(tmp_path / "none.xlsx")], capture_output=True, text=True)
    assert missing.returncode == 2 and "没有文件" in missing.stderr
