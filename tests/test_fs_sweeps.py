"""Lazy recursive sweeps (simulate/sweeps.py) give the bytes eager copies give, and grow linearly.

Each script is analysed twice: with every sweep eager (LAZY_AFTER out of reach) and with
every folder lazy from its first sweep on (LAZY_AFTER = 1); the per-layer added and stranded
bytes and the file's total must be the same.
"""
from __future__ import annotations

import pytest

from dlayerlint.lint import analyze
from dlayerlint.simulate import fs
from dlayerlint.simulate.sweeps import SweepEvent

from cpu_growth import assert_linear

SCRIPTS = {
    "chmod -R each layer": [f"RUN dd if=/dev/zero of=/opt/t/f{i} bs=1K count={i + 1} && chmod -R 0755 /opt/t"
                            for i in range(12)],
    "files leave and come back": [
        "RUN mkdir -p /app/a/b && head -c 1000 /dev/zero > /app/a/one && head -c 2000 /dev/zero > /app/a/b/two",
        "RUN chmod -R 0755 /app",
        "RUN chown -R nobody /app && head -c 300 /dev/zero > /app/three",
        "RUN chmod -R 0700 /app && rm /app/a/one",
        "RUN echo more >> /app/a/b/two && chmod -R 0755 /app",
        "RUN chmod -R 0755 /app && mv /app/three /app/a/four",
        "RUN chmod -R 0700 /app/a && chmod -R 0755 /app",
        "RUN chmod -R 0755 /app && touch /app/a/b/two && chmod -R 0755 /app",
        "RUN rm -rf /app/a/b && chmod -R 0700 /app",
        "RUN chmod -R 0755 /app",
    ],
    "a folder removed and made again": [
        "RUN mkdir /d && head -c 100 /dev/zero > /d/x && chmod -R 0755 /d",
        "RUN chmod -R 0755 /d", "RUN chmod -R 0700 /d",
        "RUN rm -rf /d && mkdir /d && head -c 50 /dev/zero > /d/y && chmod -R 0755 /d",
        "RUN chmod -R 0755 /d", "RUN chmod -R 0700 /d && cp -r /d /e", "RUN chmod -R 0755 /d /e",
    ],
    "a COPY swept": [
        "COPY --from=busybox /bin/busybox /opt/bin/busybox",
        "RUN chmod -R 0755 /opt", "RUN chmod -R 0700 /opt", "RUN chmod -R 0755 /opt",
        "RUN rm /opt/bin/busybox && chmod -R 0755 /opt",
    ],
}


def _bytes(text: str) -> tuple[list[tuple[int | None, int | None]], int | None]:
    analysis = analyze(text)
    layers = [(r.added.bytes, r.stranded.bytes) for r in analysis.layers]
    return layers, analysis.stranded.bytes if analysis.stranded is not None else None


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_lazy_sweeps_strand_the_bytes_eager_ones_do(name, monkeypatch):
    text = "FROM debian:bookworm\n" + "\n".join(SCRIPTS[name]) + "\n"
    monkeypatch.setattr(fs, "LAZY_AFTER", 10 ** 9)
    eager = _bytes(text)
    monkeypatch.setattr(fs, "LAZY_AFTER", 1)
    lazy = _bytes(text)
    assert lazy == eager


def test_a_lazy_sweep_says_what_it_strands():
    text = "FROM debian:bookworm\n" + "\n".join(SCRIPTS["chmod -R each layer"]) + "\n"
    analysis = analyze(text)
    swept = [e for e in analysis.target.fs.events if isinstance(e, SweepEvent)]
    assert swept, "the folder is swept lazily after LAZY_AFTER sweeps"
    last = [f for f in analysis.findings if f.span.start.line == 13 and f.rule.id == "DLL102"]
    message = " ".join(f.message for f in last)
    assert "/opt/t/f0, /opt/t/f1, /opt/t/f2 and 7 more, made on lines 2, 3, 4, 5, 6, 7, 8, 9, 10 and 11" in message
    assert "(and 3 earlier copies)" in message
    assert sum(f.wasted.bytes for f in last) == 1024 * sum(range(1, 12))


def test_chmod_every_layer_is_linear():
    """A chmod -R of a folder that grows by one file a layer: each sweep is O(1) (it was the
    folder's whole content, N² in all)."""
    def work_of(runs: int):
        text = "FROM debian:bookworm\n" + "\n".join(
            f"RUN dd if=/dev/zero of=/opt/t/f{i} bs=1K count=4 && chmod -R 0755 /opt/t" for i in range(runs))
        return lambda: analyze(text + "\n")
    assert_linear(work_of, 800)
