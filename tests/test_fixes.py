"""The rewrites: every kind of fix parses, removes its finding, is marked
safe or unsafe for the right reason (or withheld with the reason shown), and
`--fix` / `--diff` keep the file whole: atomic, idempotent, layout kept."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpu_growth import assert_linear

from dlayerlint.lint import analyze
from dlayerlint.rules.catalogue import rules
from dlayerlint.simulate.context.build import BuildContext
from dlayerlint.fixes import apply_fixes
from dlayerlint.app.fix import diff_text, fix_file
from dlayerlint.fixes.plan import fix_text
from dlayerlint.fixes.copy_flags import symbolic_mode
from dlayerlint.shell.parse import parse_script

REPO = Path(__file__).resolve().parents[1]
# the README's example: the classic layer-bloat Dockerfile
CLASSIC = (REPO / "examples" / "classic" / "Dockerfile").read_text()
MADE = "RUN dd if=/dev/zero of=/x bs=1k count=8\n"


def fixed(text: str, unsafe: bool = False) -> str:
    return fix_text(text, analyze, unsafe).text


def only(text: str, rule: str = ""):
    """The one finding (of `rule`) in the text."""
    findings = [f for f in analyze(text).findings if f.rule.id == rule or not rule]
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def assert_removed(text: str, rule: str, unsafe: bool) -> str:
    """Fixing parses, takes the rule's findings away and is idempotent."""
    once = fixed(text, unsafe)
    after = analyze(once)
    assert not after.errors, once
    assert not [f for f in after.findings if f.rule.id == rule], once
    assert fixed(once, unsafe) == once
    return once


# ------------------------------------------------------------------ merge RUNs

def test_classic_merge_strands_nothing_and_is_idempotent():
    once = fixed(CLASSIC)
    assert "RUN mkdir /data\nRUN dd if=/dev/zero bs=1024 count=1024 of=/data/one \\\n    && chmod -R 0777 /data" in once
    assert once.endswith("    && rm /data/one\nCMD ls -alh /data\n")
    after = analyze(once)
    assert not after.errors and not after.findings
    assert after.stranded.bytes == 0
    assert fixed(once) == once


@pytest.mark.parametrize("variant", [CLASSIC.replace("\n", "\r\n"), "\ufeff" + CLASSIC, CLASSIC.rstrip("\n"),
                                     CLASSIC.replace("\n", "\r\n", 3)])
def test_layout_is_kept(variant):
    once = fixed(variant)
    assert once.startswith("\ufeff") == variant.startswith("\ufeff")
    assert once.endswith("\n") == variant.endswith("\n")
    assert ("\r\n" in once) == ("\r\n" in variant)
    if "\n" not in variant.replace("\r\n", ""):      # all CRLF: every new line is CRLF too
        assert "\n" not in once.replace("\r\n", "")
    assert not analyze(once).findings


def test_each_line_keeps_its_own_ending():
    text = "FROM busybox\r\n" + MADE + "RUN rm /x\r\nCMD [\"sh\"]\n# end\r"
    once = fixed(text)
    assert once == "FROM busybox\r\nRUN dd if=/dev/zero of=/x bs=1k count=8 \\\n    && rm /x\r\nCMD [\"sh\"]\n# end\r"


def test_state_leaking_bodies_run_in_a_subshell():
    text = "FROM busybox\nRUN cd /tmp && dd if=/dev/zero of=x bs=1k count=8\nRUN cd /tmp; rm x\n"
    once = assert_removed(text, "DLL101", unsafe=False)
    assert "RUN ( cd /tmp && dd if=/dev/zero of=x bs=1k count=8 ) \\\n    && ( cd /tmp; rm x )" in once


def test_continuation_indent_and_inner_comments_are_kept():
    text = ("FROM busybox\nRUN dd if=/dev/zero of=/x bs=1k count=8 \\\n  # size\n  && true\n"
            "# drop it\nRUN rm /x\n")
    assert fixed(text) == ("FROM busybox\n# drop it\nRUN dd if=/dev/zero of=/x bs=1k count=8 \\\n  # size\n"
                           "  && true \\\n  && rm /x\n")


@pytest.mark.parametrize("between,carried,safe", [
    ("ENV A=1 B=/opt\n", "( export A=1 && export B=/opt && rm /x )", True),
    ("ENV A 1\n", "( export A=1 && rm /x )", True),
    ("ENV P=$PATH:/x\n", "( export P=$PATH:/x && rm /x )", False),
    # BuildKit's value, quoted for the shell: quotes, blanks and escapes read alike
    ("ENV A=\"x y\" B='$NOT' C=a\\ b\n", "( export A='x y' && export B='$NOT' && export C='a b' && rm /x )", True),
    ("ENV NAME some value\n", "( export NAME='some value' && rm /x )", True),
    ("ENV P=\"/opt/bin:$PATH\"\n", "( export P=\"/opt/bin:$PATH\" && rm /x )", False),
    ("ENV PATH $PATH:/opt/bin\n", "( export PATH=\"$PATH:/opt/bin\" && rm /x )", False),
    ("WORKDIR /srv\n", "( mkdir -p /srv && cd /srv && rm /x )", True),
    ("LABEL a=b\n", "rm /x", True),
])
def test_instructions_between_are_carried(between, carried, safe):
    text = "FROM busybox\n" + MADE + between + "RUN rm /x\n"
    fix = only(text).fix
    assert fix.safe is safe, fix.description
    assert fix.replacement.split("\n")[1] == "    && " + carried
    assert fix.replacement.endswith("\n" + between.rstrip("\n"))   # the instruction itself moves below
    assert_removed(text, "DLL101", unsafe=True)


def test_copy_between_moves_above_and_is_unsafe():
    text = "FROM busybox\nWORKDIR /srv\n" + MADE + "# the app\nCOPY --chown=1000:1000 a ./a\nRUN rm /x\n"
    fix = only(text).fix
    assert not fix.safe and "COPY of line 5 moves above the merged RUN" in fix.description
    assert fix.replacement.startswith("# the app\nCOPY --chown=1000:1000 a ./a\nRUN dd")
    assert fixed(text) == text                      # --fix alone leaves it
    assert_removed(text, "DLL101", unsafe=True)


def test_copy_moves_above_an_env_it_does_not_read_and_a_workdir_when_absolute():
    text = "FROM busybox\n" + MADE + "ENV A=1\nWORKDIR /srv\nCOPY a /app/a\nRUN rm /x\n"
    fix = only(text).fix
    assert fix.replacement.startswith("COPY a /app/a\nRUN dd") and fix.replacement.endswith("ENV A=1\nWORKDIR /srv")
    assert_removed(text, "DLL101", unsafe=True)


def test_arg_between_moves_above_and_is_unsafe():
    text = "FROM busybox\n" + MADE + "ARG N=1\nRUN rm /x\n"
    fix = only(text).fix
    assert not fix.safe and "ARG of line 3" in fix.description
    assert fix.replacement.startswith("ARG N=1\nRUN dd")
    assert fixed(text) == text                      # --fix alone leaves it
    assert_removed(text, "DLL101", unsafe=True)


def test_workdir_after_user_is_unsafe():
    text = "FROM busybox\nUSER app\n" + MADE + "WORKDIR /srv\nRUN rm /x\n"
    fix = only(text).fix
    assert not fix.safe and "USER of line 2" in fix.description


@pytest.mark.parametrize("middle,reason", [
    ("USER nobody\nRUN rm /x\n", "USER on line 3"),
    ("COPY --chown=app a /a\nRUN rm /x\n", "COPY on line 3 between the RUNs gives its files to a user by name"),
    ("ENV A=1\nCOPY a /$A\nRUN rm /x\n", "COPY on line 4 between the RUNs would move above the ENV of line 3"),
    ("RUN mkdir /srv\nCOPY a /srv/a\nRUN rm /x\n", "would move above the RUN on line 3, which uses /srv/a"),
    ("WORKDIR /srv\nRUN mkdir a\nCOPY a b/\nRUN rm /x\n", "would move above the WORKDIR of line 3"),
    ("COPY a $D\nRUN rm /x\n", "copies to a place that is not known"),
    ("COPY a /etc/cloud/cloud.cfg\nRUN rm /x\n", "copies into /etc/cloud/cloud.cfg, where a package an earlier RUN"),
    ("COPY a /\nRUN rm /x\n", "copies into /, where a package"),
    ("VOLUME /v\nRUN rm /x\n", "VOLUME on line 3"),
    ("SHELL [\"/bin/bash\", \"-c\"]\nRUN rm /x\n", "SHELL on line 3"),
    ("RUN --network=none rm /x\n", "other flags (--network=none)"),
    ("RUN <<EOF\nrm /x\nEOF\n", "heredoc"),
    ("RUN rm /x # gone\n", "`#` comment"),
    ("WORKDIR $HOME\nRUN rm /x\n", "WORKDIR on line 3"),
])
def test_merge_withheld_with_the_reason(middle, reason):
    finding = only("FROM busybox\n" + MADE + middle, "DLL101")
    assert finding.fix is None
    assert reason in finding.no_fix_reason


def test_file_made_by_copy_gets_a_reason_not_a_merge(tmp_path):
    (tmp_path / "big").write_bytes(b"x" * 5000)
    text = "FROM busybox\nCOPY big /big\nRUN rm /big\n"
    finding = analyze(text, BuildContext(tmp_path, dockerfile=tmp_path / "Dockerfile")).findings[0]
    assert finding.fix is None and "made by COPY on line 2" in finding.no_fix_reason


@pytest.mark.parametrize("run,part", [
    ('RUN ["rm", "/x"]', "rm /x"),
    ('RUN ["sh", "-c", "rm /x && true"]', "rm /x && true"),
    ('RUN ["rm", "-f", "/x", "/a b", "$HOME"]', "rm -f /x '/a b' '$HOME'"),
])
def test_exec_form_runs_become_the_same_shell_command(run, part):
    text = "FROM busybox\n" + MADE + run + "\n"
    fix = only(text, "DLL101").fix
    assert fix.safe and fix.replacement.endswith("&& " + part)


def test_shell_form_needs_a_posix_shell():
    text = "FROM mcr.microsoft.com/windows/servercore\n" + MADE + "RUN rm /x\n"
    assert "POSIX shell" in only(text).no_fix_reason


# ------------------------------------------------------------------ COPY --chmod / --chown

def lint_in(tmp_path: Path, files: dict[str, int]):
    for name, size in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    return lambda text: analyze(text, BuildContext(tmp_path, dockerfile=tmp_path / "Dockerfile"))


def test_copy_then_chown_of_a_file_is_a_safe_flag(tmp_path):
    lint = lint_in(tmp_path, {"app.bin": 3000})
    text = "FROM busybox\nCOPY app.bin /app\nLABEL x=y\nRUN chown 10:10 /app\n"
    assert fix_text(text, lint).text == "FROM busybox\nCOPY --chown=10:10 app.bin /app\nLABEL x=y\n"
    assert not lint(fix_text(text, lint).text).findings


def test_chmod_needs_buildkit_to_be_safe(tmp_path):
    lint = lint_in(tmp_path, {"app.bin": 3000})
    text = "FROM busybox\nCOPY app.bin /app\nRUN chmod 0755 /app && chown 1:2 /app\n"
    fix = lint(text).findings[0].fix
    assert not fix.safe and "BuildKit" in fix.description
    assert fix.replacement == "COPY --chmod=0755 --chown=1:2 app.bin /app"
    assert lint("# syntax=docker/dockerfile:1\n" + text).findings[0].fix.safe


def test_recursive_change_of_a_copied_directory_is_unsafe(tmp_path):
    lint = lint_in(tmp_path, {"src/a": 3000, "src/b": 2000})
    text = "FROM busybox\nCOPY src/ /srv/app/\nRUN chown -R 1000:1000 /srv/app\n"
    fix = lint(text).findings[0].fix
    assert not fix.safe and "/srv/app itself" in fix.description
    assert fix_text(text, lint, unsafe=True).text == "FROM busybox\nCOPY --chown=1000:1000 src/ /srv/app/\n"


@pytest.mark.parametrize("run,reason", [
    ("RUN chmod u+s /app", "symbolic mode `u+s` is beyond what the fix computes"),
    ("RUN chown app /app", "would also set the group"),
    ("RUN chmod 0755 /app && rm -rf /tmp/*", "does more than chmod/chown"),
    ("RUN chmod 0755 /app; true", "does more than chmod/chown"),
    ("RUN chmod -v 0755 /app", "options COPY cannot express"),
])
def test_copy_flags_withheld_with_the_reason(tmp_path, run, reason):
    lint = lint_in(tmp_path, {"app.bin": 3000})
    finding = lint(f"FROM busybox\nCOPY app.bin /app\n{run}\n").findings[0]
    assert finding.fix is None and reason in finding.no_fix_reason


def test_symbolic_mode_becomes_the_octal_mode_of_the_context_file(tmp_path):
    lint = lint_in(tmp_path, {"run.sh": 3000})
    (tmp_path / "run.sh").chmod(0o640)
    text = "# syntax=docker/dockerfile:1\nFROM busybox\nCOPY run.sh /run.sh\nRUN chmod +x /run.sh\n"
    fix = lint(text).findings[0].fix
    assert fix.replacement == "COPY --chmod=0751 run.sh /run.sh"   # +x: every class, the umask 022 masks no x
    assert not fix.safe and "mode 0640 in the build context" in fix.description
    assert fix_text(text, lint, unsafe=True).text == text.replace("COPY", "COPY --chmod=0751").rsplit("RUN", 1)[0]


@pytest.mark.parametrize("context,reason", [
    (False, "known only from the build context"),
    (True, "on the directory /srv: each copied file"),
])
def test_symbolic_mode_needs_a_file_and_its_mode(tmp_path, context, reason):
    lint = lint_in(tmp_path, {"srv/a": 10, "srv/b": 20, "run.sh": 30})
    text = "FROM busybox\nCOPY run.sh /run.sh\nRUN chmod +x /run.sh\n" if not context else \
        "FROM busybox\nCOPY srv/ /srv/\nRUN chmod -R a+rX /srv\n"
    finding = (lint(text) if context else analyze(text)).findings[0]
    assert finding.fix is None and reason in finding.no_fix_reason


SYMBOLIC_MODES = ["+x", "u+x", "a+rX", "go-w", "u=rwx,go=rx", "-w", "+w", "o=", "a=r", "ug+rwX", "=x", "u-x,g+w"]


@pytest.mark.parametrize("before", [0o644, 0o755, 0o600, 0o666, 0o700, 0o711])
def test_symbolic_modes_agree_with_chmod_itself(tmp_path, before):
    target = tmp_path / "f"
    target.touch()
    for mode in SYMBOLIC_MODES:
        target.chmod(before)
        # the chmod a RUN runs: /bin/sh with the builder's umask (GNU chmod exits 1 when the
        # umask kept a bit it was asked to change, and changes the rest)
        subprocess.run(["sh", "-c", f"umask 022; chmod {mode} {target}"], check=False, capture_output=True)
        assert symbolic_mode(mode, before) == stat.S_IMODE(target.stat().st_mode), (mode, oct(before))


def test_no_copy_flags_across_a_run(tmp_path):
    lint = lint_in(tmp_path, {"app.bin": 3000})
    finding = lint("FROM busybox\nCOPY app.bin /app\nRUN true\nRUN chmod 0755 /app\n").findings[0]
    assert "runs between the COPY" in finding.no_fix_reason


# ------------------------------------------------------------------ caches and secrets

def test_cache_cleanup_is_unsafe_and_appended():
    text = "FROM debian:bookworm\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends curl\n"
    fix = only(text).fix
    assert not fix.safe and "later step" in fix.description
    assert fix.replacement.endswith("apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*")
    assert fixed(text) == text
    assert_removed(text, "DLL105", unsafe=True)


def test_cleanup_after_a_dangling_continuation_is_a_new_command():
    # the last line of a file may end in `\`: appending after it would pass `\ ` to apt-get
    text = "FROM debian:bookworm\nRUN apt-get update \\\n"
    assert fixed(text, unsafe=True) == "FROM debian:bookworm\nRUN apt-get update \\\n    && rm -rf /var/lib/apt/lists/*\n"


def test_cleanup_never_strands_an_earlier_layers_cache():
    text = ("FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"
            "RUN apt-get update && apt-get install -y git\n")
    later = [f for f in analyze(text).findings if f.span.start.line == 3]
    assert later[0].fix is None and "made on line 2: clean them there first" in later[0].no_fix_reason
    once = assert_removed(text, "DLL105", unsafe=True)
    # the plan merges the two installs (most bytes first: the merge also drops line 3's rewrite
    # of the package database), so one clean-up at the end leaves nothing stranded
    assert once.count("rm -rf /var/lib/apt/lists/*") == 1 and analyze(once).stranded.bytes == 0


def test_no_cleanup_appended_to_a_script_that_does_not_parse():
    text = "FROM debian\nRUN f() { yum install -y ' && yum clean all; }; f\n"
    assert "does not parse cleanly" in only(text).no_fix_reason
    assert fixed(text, unsafe=True) == text


def test_cache_mount_when_the_file_uses_buildkit():
    text = "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN pip install requests\n"
    fix = only(text, "DLL105").fix
    assert fix.replacement == "RUN --mount=type=cache,target=/root/.cache/pip pip install requests"
    assert_removed(text, "DLL105", unsafe=True)


def test_secret_fix_is_shown_never_applied():
    text = "FROM node:20\nCOPY .npmrc /root/.npmrc\nRUN npm ci --cache /tmp/n && rm -rf /tmp/n\nRUN rm /root/.npmrc\n"
    fix = only(text, "DLL108").fix
    assert fix.manual and not fix.safe and "--secret id=npmrc" in fix.description
    assert fix.replacement == "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci --cache /tmp/n && rm -rf /tmp/n"
    assert fixed(text, unsafe=True) == text


# ------------------------------------------------------------------ the catalogue's examples

def _own_fixes_to_a_fixed_point(text: str, rule: str, lint) -> str:
    """The bad example with its rule's fixes applied (unsafe and manual ones too)."""
    for _ in range(10):
        fixes = [f.fix for f in lint(text).findings if f.rule.id == rule and f.fix is not None]
        new = apply_fixes(text, fixes)
        if new == text:
            return text
        text = new
    raise AssertionError("no fixed point")


@pytest.mark.parametrize("rule", list(rules().values()), ids=list(rules()))
def test_bad_examples_fix_into_the_fixed_examples(rule, tmp_path):
    """Each bad example either has a fix, and the fixed examples are exactly those
    rewrites in order, or says why it has none."""
    rewrites = []
    for example in (e for e in rule.examples if e.kind == "bad"):
        lint = lint_in(tmp_path, example.context)
        findings = [f for f in lint(example.dockerfile).findings if f.rule.id == rule.id]
        if all(f.fix is None for f in findings):
            assert all(f.no_fix_reason for f in findings), rule.id
            continue
        rewrites.append(_own_fixes_to_a_fixed_point(example.dockerfile, rule.id, lint))
        assert not lint(rewrites[-1]).errors
    assert rewrites == [e.dockerfile for e in rule.examples if e.kind == "fixed"]


# ------------------------------------------------------------------ property: generated chains

INSTRUCTIONS = st.sampled_from([
    "RUN dd if=/dev/zero of=/d/a bs=1k count=4", "RUN rm -f /d/a", "RUN chmod 600 /d/a", "RUN cd /d && rm -f a",
    "RUN head -c 100 /dev/zero >> /d/a", "RUN mv /d/a /d/b", "RUN rm -rf /d", "RUN mkdir -p /d; touch /d/a",
    "ENV A=1", "ENV B=$A/x", "WORKDIR /d", "ARG C=2", "LABEL k=v", "USER nobody", "RUN --network=none rm -f /d/b",
    '# a comment', "RUN [\"rm\", \"-f\", \"/d/b\"]", "EXPOSE 80", "RUN apt-get update",
])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(INSTRUCTIONS, max_size=10), st.sampled_from(["\n", "\r\n"]))
def test_generated_dockerfiles_fix_cleanly(body, newline):
    text = newline.join(["FROM busybox", "RUN mkdir -p /d", *body]) + newline
    before = analyze(text)
    once = fixed(text, unsafe=True)
    after = analyze(once)
    assert len(after.errors) <= len(before.errors), once
    assert after.stranded.bytes <= before.stranded.bytes, once
    assert fixed(once, unsafe=True) == once
    if newline == "\r\n":
        assert "\n" not in once.replace("\r\n", "")


def test_many_merges_are_linear():
    def pairs(count: int) -> str:
        return "FROM busybox\n" + "".join(f"# {i}\nRUN dd if=/dev/zero of=/f{i} bs=1k count=1\nRUN rm /f{i}\n"
                                          for i in range(count))
    analysis = analyze(pairs(1500))
    assert sum(f.fix is not None for f in analysis.findings) == 1500

    def work(count: int):
        text = pairs(count)

        def run():
            parse_script.cache_clear()   # both sizes parse every RUN body (the small one would fit the cache)
            analyze(text)
        return run
    assert_linear(work, 1500)   # CPU time against the size, no wall clock


# ------------------------------------------------------------------ files: --fix, --diff

def lint_file(path: Path):
    return lambda text: analyze(text, BuildContext(path.parent, dockerfile=path))


def test_fix_file_keeps_mode_bytes_and_is_idempotent(tmp_path):
    path = tmp_path / "Dockerfile"
    text = "\ufeff" + CLASSIC.replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))
    path.chmod(0o640)
    before, result = fix_file(path, lint_file(path))
    assert before == text and result.applied
    assert path.read_bytes() == result.text.encode("utf-8")
    assert path.read_bytes().startswith("\ufeff".encode()) and b"\r\n" in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert fix_file(path, lint_file(path))[1].applied == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


def test_fix_file_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "Dockerfile"
    path.write_text(CLASSIC)

    def broken(*_args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(Exception, match="No space left"):
        fix_file(path, lint_file(path))
    assert path.read_text() == CLASSIC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


def test_fix_through_a_symlink_rewrites_the_target(tmp_path):
    real = tmp_path / "real.Dockerfile"
    real.write_text(CLASSIC)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real.name)
    fix_file(link, lint_file(link))
    assert link.is_symlink() and real.read_text() == fixed(CLASSIC)


def test_diff_is_a_patch_git_applies(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(CLASSIC.rstrip("\n"))
    patch = diff_text("Dockerfile", CLASSIC.rstrip("\n"), fixed(CLASSIC.rstrip("\n")))
    assert patch.endswith("\n\\ No newline at end of file\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=patch, text=True, check=True)
    assert path.read_text() == fixed(CLASSIC.rstrip("\n"))


def dlayerlint(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlayerlint", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, check=False)


def test_cli_diff_fix_and_unsafe(tmp_path):
    path = tmp_path / "Dockerfile"
    text = "FROM busybox\n" + MADE + "ARG N=1\nRUN rm /x\n"
    path.write_text(text)
    diff = dlayerlint("check", "--diff", "Dockerfile", cwd=tmp_path)
    assert diff.returncode == 0 and diff.stdout == "" and path.read_text() == text   # unsafe only
    diff = dlayerlint("check", "--diff", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert diff.returncode == 1 and diff.stdout.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert path.read_text() == text
    done = dlayerlint("check", "--fix", "Dockerfile", cwd=tmp_path)
    assert done.returncode == 1 and path.read_text() == text and "[--fix --unsafe-fixes]" in done.stdout
    done = dlayerlint("check", "--fix", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "applied 1 fix" in done.stderr and "0 findings" in done.stdout
    assert path.read_text() == fixed(text, unsafe=True)


def test_cli_fix_usage_errors(tmp_path):
    (tmp_path / "Dockerfile").write_text(CLASSIC)
    alone = dlayerlint("check", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert alone.returncode == 2 and "--unsafe-fixes goes with --fix or --diff" in alone.stderr
    stdin = dlayerlint("check", "--fix", "-", cwd=tmp_path, stdin=CLASSIC)
    assert stdin.returncode == 2 and "not stdin" in stdin.stderr
    missing = dlayerlint("check", "--diff", "nope", cwd=tmp_path)
    assert missing.returncode == 2 and "nope: error: no such file" in missing.stderr
    bad = tmp_path / "bad"
    bad.write_bytes(b"FROM busybox\nRUN \xff\n")
    left = dlayerlint("check", "--fix", "bad", cwd=tmp_path)
    assert left.returncode == 2 and "not UTF-8" in left.stdout and bad.read_bytes() == b"FROM busybox\nRUN \xff\n"
