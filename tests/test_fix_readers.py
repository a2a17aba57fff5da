"""Rewrites that keep the build working: a clean-up never goes before a step that reads what
it removes (issue: "Rewrites that never break the build"), and a COPY's destination is the
one the replay resolved (WORKDIR-relative COPY gets its --chown fix)."""
from __future__ import annotations

from dlayerlint.core.results import Finding
from dlayerlint.fixes.plan import fix_text
from dlayerlint.lint import analyze
from dlayerlint.simulate.context.build import BuildContext

UPDATE_THEN_INSTALL = """\
FROM debian:bookworm
RUN apt-get update
ENV LANG=C.UTF-8
RUN apt-get install -y --no-install-recommends curl
RUN echo done > /done
"""


def _cache_finding(text: str) -> Finding:
    return next(f for f in analyze(text).findings if f.rule.id == "DLL105")


def test_lists_are_not_cleaned_before_the_install_that_reads_them():
    fix = _cache_finding(UPDATE_THEN_INSTALL).fix
    assert fix is not None and not fix.safe
    assert (fix.start_line, fix.end_line) == (2, 4)
    lines = fix.replacement.splitlines()
    assert lines[0].startswith("RUN apt-get update")
    assert "apt-get install -y --no-install-recommends curl" in fix.replacement
    assert lines[-2].strip() == "&& rm -rf /var/lib/apt/lists/*"   # after the reader, ENV carried below
    assert "line 4 reads it" in fix.description


def test_a_later_run_that_names_the_cache_folder_reads_it():
    text = "FROM node:20\nRUN npm install -g yarn\nRUN ls /root/.npm/_cacache && echo done\nRUN ls /root/.npmrc\n"
    fix = _cache_finding(text).fix
    assert (fix.start_line, fix.end_line) == (2, 3) and "line 3 reads it" in fix.description
    assert fix.replacement.endswith("&& npm cache clean --force")    # after the reader, not before


def test_the_rewritten_file_keeps_no_lists_and_no_reader_without_them():
    fixed = fix_text(UPDATE_THEN_INSTALL, analyze, unsafe=True).text
    after = analyze(fixed)
    assert not [f for f in after.findings if f.rule.id in ("DLL104", "DLL105")]
    install = fixed.index("apt-get install")
    assert fixed.index("apt-get update") < install < fixed.index("rm -rf /var/lib/apt/lists/*")


def test_workdir_relative_copy_gets_its_chown_fix(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.png").write_bytes(b"\0" * 500)
    text = "FROM debian:bookworm\nWORKDIR /srv\nCOPY assets/ ./assets/\nRUN chown -R 1000:1000 /srv/assets\n"
    finding, = analyze(text, BuildContext(tmp_path)).findings
    assert finding.rule.id == "DLL103" and finding.fix is not None
    assert finding.fix.replacement == "COPY --chown=1000:1000 assets/ ./assets/"


def test_diff_says_the_predicted_bytes_before_and_after(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    classic = (Path(__file__).resolve().parents[1] / "examples" / "classic" / "Dockerfile").read_text()
    (tmp_path / "Dockerfile").write_text(classic)
    ran = subprocess.run([sys.executable, "-m", "dlayerlint", "check", "--diff", "Dockerfile"], cwd=tmp_path,
                         capture_output=True, text=True, check=False)
    assert ran.returncode == 1 and ran.stdout.startswith("--- a/Dockerfile")
    assert "Dockerfile: plan of 1 fix: stranded bytes predicted 4.0 MiB before the rewrite, 0 B after" in ran.stderr
