"""Benchmark: what clinical-NLP libraries cost for the chatbot's language-understanding step.

It exists to choose the NLU library by measurement rather than by reputation. Candidates:
spaCy blank("en") + PhraseMatcher(attr="LOWER"); the same with medspaCy's ConText; negspaCy's
Negex on a blank pipeline; and, as the baseline, rapidfuzz extractOne of each token against a
1,000-word vocabulary. For each: installed size (the candidate's dependency closure, from the
installed RECORDs), import time and RSS in fresh processes (median of 5), RSS after building a
~300-phrase pipeline, and CPU time per message (2,000 short chat messages, and a 1,000-character
one). A library that is not installed is reported and skipped.

Reproduce with:  /tmp/nlpbench/bin/python bench/nlu_libraries.py
(a scratch venv: python3 -m venv /tmp/nlpbench; /tmp/nlpbench/bin/pip install spacy negspacy
medspacy rapidfuzz; medspacy pins spacy<3.8 on Python < 3.12)
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

RUNS = 5
PARTS = ["calf", "leg", "knee", "thigh", "ankle", "foot", "chest", "back", "hip", "shin", "arm"]
PARTS += ["hamstring", "shoulder", "neck", "head", "stomach", "toe", "heel", "groin", "wrist"]
SIGNS = ["pain", "swelling", "cramp", "spasm", "ache", "tightness", "numbness", "tingling"]
SIGNS += ["redness", "warmth", "bruising", "stiffness", "weakness", "tenderness", "soreness"]
PHRASES = [f"{p} {s}" for p in PARTS for s in SIGNS] + ["blood clot", "shortness of breath"]
TEMPLATES = [
    "my {part} hurts and is swollen",
    "I don't have chest pain but my {part} is cold",
    "could it be a blood clot?",
    "there is no {part} swelling but I get a {part} cramp at night after running",
    "sharp {part} pain since yesterday, worse when I walk up the stairs to my flat",
    "no shortness of breath, just {part} tightness and some {part} numbness",
    "I think I pulled something in my {part} playing football on Sunday morning",
    "the {part} spasm comes and goes, it's not constant and there is no redness",
    "my doctor said it was fine but the {part} ache is still there after two weeks",
    "denies {part} tenderness, reports mild {part} stiffness in the mornings",
]
CANDIDATES: dict[str, tuple[list[str], str]] = {  # name: (distributions, pip install argument)
    "bare python (this script)": ([], ""),
    "spacy blank + PhraseMatcher": (["spacy"], "spacy"),
    "spacy + medspacy ConText": (["spacy", "medspacy"], "medspacy"),
    "spacy + negspacy Negex": (["spacy", "negspacy"], "negspacy"),
    "rapidfuzz extractOne": (["rapidfuzz"], "rapidfuzz"),
}


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(ln for ln in status if ln.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def messages() -> tuple[list[str], str]:
    rng = random.Random(7)
    short = [rng.choice(TEMPLATES).format(part=rng.choice(PARTS)) for _ in range(2000)]
    long_text = ""
    while len(long_text) < 1000:
        long_text += rng.choice(TEMPLATES).format(part=rng.choice(PARTS)) + ". "
    return short, long_text[:1000]


def import_library(name: str) -> None:
    if "spacy" in name:
        import spacy  # type: ignore[import-not-found]  # noqa: F401
        from spacy.matcher import PhraseMatcher  # type: ignore[import-not-found]  # noqa: F401
    if "medspacy" in name:
        import medspacy  # type: ignore[import-not-found]  # noqa: F401
    if "negspacy" in name:
        import negspacy.negation  # type: ignore[import-not-found]  # noqa: F401
    if "rapidfuzz" in name:
        import rapidfuzz.process  # noqa: F401


def build(name: str) -> Callable[[str], object]:
    """The pipeline for one candidate: text in, matched spans (with negation) out."""
    if "rapidfuzz" in name:
        from rapidfuzz import process

        rng = random.Random(3)
        words = sorted({w for t in PHRASES + TEMPLATES for w in re.findall(r"[a-z']+", t.lower())})
        while len(words) < 1000:
            words.append("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(4, 10))))
        tokens = re.compile(r"[a-z']+")
        return lambda text: [process.extractOne(t, words) for t in tokens.findall(text.lower())]
    if "spacy" not in name:
        return lambda text: None
    # Imported (and timed) by import_library; import_module keeps mypy quiet without stubs.
    spacy = importlib.import_module("spacy")
    phrase_matcher = importlib.import_module("spacy.matcher").PhraseMatcher

    if "PhraseMatcher" in name:
        nlp = spacy.blank("en")
        matcher = phrase_matcher(nlp.vocab, attr="LOWER")
        matcher.add("SYMPTOM", [nlp.make_doc(p) for p in PHRASES])
        return lambda text: matcher(nlp(text), as_spans=True)
    if "medspacy" in name:
        # medspacy.load with only ConText enabled is blank("en") + ConText: no model download.
        nlp = importlib.import_module("medspacy").load(medspacy_enable=["medspacy_context"])
        before: dict[str, str] = {"before": "medspacy_context"}
    else:
        nlp = spacy.blank("en")
        before = {}
    # Both ConText and Negex scope modifiers by sentence, so both need sentence boundaries.
    nlp.add_pipe("sentencizer", **before)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"}, **before)
    ruler.add_patterns([{"label": "SYMPTOM", "pattern": p} for p in PHRASES])
    if "negspacy" in name:
        nlp.add_pipe("negex", config={"ent_types": ["SYMPTOM"]})
    return lambda text: nlp(text).ents


def worker(name: str) -> None:
    t0 = time.perf_counter()
    import_library(name)
    import_ms = (time.perf_counter() - t0) * 1000
    rss_import = rss_mb()
    run = build(name)
    rss_built = rss_mb()
    short, long_text = messages()
    for text in short[:20]:  # warm-up: first-call lazy initialisation is not per-message cost
        run(text)

    def cpu_us(texts: list[str]) -> list[float]:
        out = []
        for text in texts:
            c0 = time.process_time_ns()
            run(text)
            out.append((time.process_time_ns() - c0) / 1000)
        return sorted(out)

    s, lg = cpu_us(short), cpu_us([long_text] * 200)
    stats = [import_ms, rss_import, rss_built, s[len(s) // 2], s[len(s) * 99 // 100], lg[100]]
    print(json.dumps([*stats, rss_mb()]))


def installed_mb(dists: list[str]) -> float:
    """Size of the installed files of the distributions and everything they require."""
    seen: set[str] = set()
    total, stack = 0, list(dists)
    while stack:
        key = re.sub(r"[-_.]+", "-", stack.pop()).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(key)
        except metadata.PackageNotFoundError:
            continue
        for f in dist.files or []:
            path = Path(f.locate())
            total += path.stat().st_size if path.is_file() else 0
        for req in dist.requires or []:
            if "extra ==" not in req:
                stack.append(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
    return total / 2**20


def version(dist: str) -> str:
    try:
        return f"{dist} {metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return f"{dist} (not installed)"


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
        return
    bare = subprocess.run([sys.executable, "-c", BARE_RSS], capture_output=True, text=True)
    print(f"python {sys.version.split()[0]}  {sys.executable}")
    print("; ".join(version(d) for d in ["spacy", "medspacy", "negspacy", "rapidfuzz", "numpy"]))
    print(f"bare `python -c` process RSS: {float(bare.stdout):.1f} MB")
    head = ["candidate", "inst MB", "import ms", "RSS imp", "RSS built", "short p50 us", "p99 us"]
    print(" | ".join([*head, "1000ch p50 us", "RSS end"]))
    for name, (dists, pip_name) in CANDIDATES.items():
        missing = [d for d in dists if importlib.util.find_spec(d) is None]
        if missing:
            print(f"{name}: not installed: pip install {pip_name}")
            continue
        runs = []
        for _ in range(RUNS):
            cmd = [sys.executable, __file__, "--worker", name]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                print(f"{name}: failed: {out.stderr.strip().splitlines()[-1:]}")
                break
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        else:
            med = [statistics.median(col) for col in zip(*runs, strict=True)]
            cells = [f"{installed_mb(dists):.1f}", *(f"{v:.1f}" for v in med)]
            print(" | ".join([name, *cells]))
    print("median of 5 fresh processes; RSS in MB, CPU = time.process_time per message")
    print("reproduce: /tmp/nlpbench/bin/python bench/nlu_libraries.py")


BARE_RSS = (
    "print(int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS:')).split()[1])"
    " / 1024)"
)

if __name__ == "__main__":
    main()
