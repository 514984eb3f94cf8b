"""PDF through LibreOffice (`soffice --headless --convert-to pdf`) when the server has it.

Each conversion runs in its own temporary directory with its own LibreOffice profile (so conversions
never share or lock one), in a new process group that is killed whole on timeout. Without LibreOffice
the app offers DOCX only and says so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from services.core.config import child_process_env
from services.core.errors import DomainError

TIMEOUT_SECONDS = 120.0
_SLOTS = threading.BoundedSemaphore(2)  # LibreOffice is heavy; two at a time on a small server


# Offices write in 宋体/黑体 (Windows fonts); a Linux server has Noto CJK. LibreOffice's own replacement
# table, written into the throwaway profile, maps them to the Simplified-Chinese Noto faces.
FONT_PAIRS = (
    ("宋体", "Noto Serif CJK SC"),
    ("SimSun", "Noto Serif CJK SC"),
    ("仿宋", "Noto Serif CJK SC"),
    ("FangSong", "Noto Serif CJK SC"),
    ("楷体", "Noto Serif CJK SC"),
    ("黑体", "Noto Sans CJK SC"),
    ("SimHei", "Noto Sans CJK SC"),
    ("微软雅黑", "Noto Sans CJK SC"),
    ("Microsoft YaHei", "Noto Sans CJK SC"),
)
_XCU_ITEM = (
    '<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
    '<node oor:name="_{i}" oor:op="replace">'
    '<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
    '<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
    '<prop oor:name="ReplaceFont" oor:op="fuse"><value>{old}</value></prop>'
    '<prop oor:name="SubstituteFont" oor:op="fuse"><value>{new}</value></prop></node></item>'
)


class ConversionFailed(DomainError):
    key = "error.document_pdf_failed"


def soffice() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    return soffice() is not None


def _profile(path: Path) -> Path:
    """A fresh LibreOffice profile holding the font replacement table."""
    items = "".join(_XCU_ITEM.format(i=i, old=old, new=new) for i, (old, new) in enumerate(FONT_PAIRS))
    user = path / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
        f'<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>{items}</oor:items>\n',
        encoding="utf-8",
    )
    return path


def _run(command: list[str], cwd: Path, timeout: float) -> None:
    env = child_process_env(keep=("PATH",), HOME=str(cwd), LANG="C.UTF-8")  # none of the app's secrets
    proc = subprocess.Popen(  # noqa: S603
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise ConversionFailed("error.document_pdf_timeout") from exc


def convert_to_pdf(files: dict[str, bytes], *, timeout: float = TIMEOUT_SECONDS) -> dict[str, bytes]:
    """DOCX bytes by name → PDF bytes by the same name, converted in one LibreOffice run."""
    exe = soffice()
    if exe is None:
        raise ConversionFailed("error.document_pdf_unavailable")
    names = list(files)
    with _SLOTS, tempfile.TemporaryDirectory(prefix="mh-pdf-") as tmp:
        work = Path(tmp)
        inputs = []
        for i, name in enumerate(names):  # plain ASCII names: user text never reaches the command line
            path = work / f"doc{i:03d}.docx"
            path.write_bytes(files[name])
            inputs.append(path.name)
        (work / "out").mkdir()
        _run(
            [
                exe,
                "--headless",
                "--norestore",
                "--nolockcheck",
                "--nodefault",
                f"-env:UserInstallation={_profile(work / 'profile').as_uri()}",
                "--convert-to",
                "pdf:writer_pdf_Export",
                "--outdir",
                str(work / "out"),
                *inputs,
            ],
            work,
            timeout,
        )
        out = {}
        for i, name in enumerate(names):
            pdf = work / "out" / f"doc{i:03d}.pdf"
            if not pdf.is_file() or pdf.stat().st_size == 0:
                raise ConversionFailed()
            out[name] = pdf.read_bytes()
    return out
