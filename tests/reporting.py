"""The living-documentation report: `--acceptance-html=PATH` writes one self-contained HTML page.

The page is ordered Feature -> Rule -> Example, straight from the feature files, and shows for every
Example its rule-id tags, its steps (with the failing one marked) and its result in each mode it ran
in, with the failure message. It is built from pytest-bdd's own per-scenario report data (the same
data its `--cucumberjson` uses) plus the parsed feature files, so the grouping is exactly the
files' `Rule:` blocks. No JavaScript: `<details>` holds the long failure text.

Use: `pytest_plugins = ["reporting"]` (or `-p reporting`) and `--acceptance-html=reports/acceptance.html`.
The variant a result ran in (in-process or servers) is read from the item's `acceptance_mode`
parameter when there is one.
"""

from __future__ import annotations

import html
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser
from pytest_bdd.reporting import scenario_reports_registry
from pytest_bdd.scenario import scenario_wrapper_template_registry

VARIANT_PARAM = "acceptance_mode"
RULE_ID = re.compile(r"^R\d+(\.\d+)+[a-z]?$")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("acceptance", "living documentation")
    group.addoption(
        "--acceptance-html",
        action="store",
        dest="acceptance_html",
        metavar="PATH",
        default=None,
        help="write the living-documentation page (Feature -> Rule -> Example, with pass/fail) to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    cucumber = getattr(config.option, "cucumber_json_path", None)
    if cucumber:  # pytest-bdd writes it at the end but does not create its folder
        Path(cucumber).parent.mkdir(parents=True, exist_ok=True)
    path = config.getoption("acceptance_html", None)
    if path and not hasattr(config, "workerinput"):  # xdist workers report to the controller
        config.pluginmanager.register(AcceptanceReport(Path(path)), "acceptance-html-report")


@dataclass
class Result:
    """One run of one Example (an outline row counts as one Example) in one variant."""

    feature_file: str  # absolute path of the .feature file
    line: int  # line of the Scenario / Scenario Outline keyword
    name: str
    variant: str
    example: dict[str, str]
    outcome: str = "passed"  # passed | failed | skipped
    message: str = ""  # short failure message
    details: str = ""  # full failure text
    steps: list[dict] = field(default_factory=list)  # {"keyword", "name", "failed", "docstring", "datatable"}
    duration: float = 0.0


class AcceptanceReport:
    """Collects a Result per scenario item and writes the page at the end of the session."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.results: dict[str, Result] = {}
        self.started = time.perf_counter()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        function = getattr(item, "obj", None)
        template = scenario_wrapper_template_registry.get(function) if function is not None else None
        if template is None:
            return  # not a pytest-bdd scenario
        result = self.results.get(item.nodeid)
        if result is None:
            callspec = getattr(item, "callspec", None)
            params = callspec.params if callspec else {}
            example = params.get("_pytest_bdd_example") or {}
            result = Result(
                feature_file=str(Path(template.feature.filename).resolve()),
                line=template.line_number,
                name=template.name,
                variant=str(params.get(VARIANT_PARAM, "")),
                example={str(k): str(v) for k, v in example.items()},
                steps=[_step_dict(step) for step in template.render(example).steps],
            )
            self.results[item.nodeid] = result
        result.duration += report.duration
        scenario_report = scenario_reports_registry.get(item)
        if scenario_report is not None:
            executed = {id(r.step): r for r in scenario_report.step_reports}
            seen_failure = False  # pytest-bdd also marks the steps after a failure as failed: not run
            for step_dict, step in zip(result.steps, scenario_report.scenario.steps, strict=False):
                step_report = executed.get(id(step))
                step_dict["failed"] = bool(step_report and step_report.failed) and not seen_failure
                step_dict["ran"] = step_report is not None and not seen_failure
                seen_failure = seen_failure or step_dict["failed"]
        if report.failed and result.outcome != "failed":
            result.outcome = "failed"
            result.message = _short_message(call, report)
            result.details = report.longreprtext
            if report.when != "call":
                result.message = f"({report.when} failed) {result.message}"
        elif report.skipped and result.outcome == "passed":
            result.outcome = "skipped"
            result.message = _short_message(call, report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        elapsed = time.perf_counter() - self.started
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(render(list(self.results.values()), elapsed=elapsed), encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.write_line(f"acceptance report: {self.path}")


def _step_dict(step) -> dict:
    return {
        "keyword": step.keyword.strip(),
        "name": step.name,
        "docstring": step.docstring,
        "datatable": [[cell.value for cell in row.cells] for row in step.datatable.rows]
        if step.datatable
        else None,
        "failed": False,
        "ran": False,
    }


def _short_message(call: pytest.CallInfo, report: pytest.TestReport) -> str:
    text = call.excinfo.exconly() if call.excinfo is not None else str(report.longrepr or "")
    text = text.strip()
    return text if len(text) <= 1500 else text[:1500] + " …"


# --------------------------------------------------------------------------------------------- render
@dataclass
class _Example:
    name: str
    line: int
    tags: list[str]
    keyword: str
    results: list[Result]


@dataclass
class _Rule:
    name: str
    description: str
    examples: list[_Example]


@dataclass
class _Feature:
    name: str
    description: str
    filename: str
    rules: list[_Rule]


def build_document(results: list[Result]) -> list[_Feature]:
    """Feature -> Rule -> Example, in file order, with the results attached to their Example."""
    by_file: dict[str, dict[int, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        by_file[result.feature_file][result.line].append(result)
    features: list[_Feature] = []
    for filename in sorted(by_file):
        path = Path(filename)
        feature = FeatureParser(str(path.parent), path.name).parse()
        rules: dict[str, _Rule] = {}
        for template in sorted(feature.scenarios.values(), key=lambda s: s.line_number):
            rule_name = template.rule.name if template.rule else ""
            rule = rules.get(rule_name)
            if rule is None:
                rule = rules[rule_name] = _Rule(
                    rule_name, template.rule.description if template.rule else "", []
                )
            runs = by_file[filename].get(template.line_number, [])
            runs.sort(key=lambda r: (r.variant, list(r.example.values())))
            rule.examples.append(
                _Example(template.name, template.line_number, sorted(template.tags), template.keyword, runs)
            )
        features.append(_Feature(feature.name, feature.description, path.name, list(rules.values())))
    return features


CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;
     background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px} h2{font-size:21px;margin:36px 0 4px;border-bottom:2px solid #d5d9e0}
h3{font-size:17px;margin:22px 0 6px;color:#24406b}
.desc{white-space:pre-line;color:#475063;margin:4px 0 10px}
.summary{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.box{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:8px 14px}
.ex{background:#fff;border:1px solid #d5d9e0;border-left:5px solid #9aa3b2;border-radius:6px;
    margin:8px 0;padding:8px 14px}
.ex.passed{border-left-color:#2e8540} .ex.failed{border-left-color:#c0392b}
.ex.skipped,.ex.notrun{border-left-color:#d4a017}
.exname{font-weight:600}
.tag{display:inline-block;font:12px ui-monospace,monospace;background:#e8eef8;color:#24406b;
     border-radius:4px;padding:1px 6px;margin:0 4px 0 0}
.badge{display:inline-block;font-size:12px;font-weight:700;border-radius:4px;padding:1px 7px;
       margin-left:6px;color:#fff}
.badge.passed{background:#2e8540} .badge.failed{background:#c0392b}
.badge.skipped,.badge.notrun{background:#b8860b}
ol.steps{list-style:none;padding-left:6px;margin:6px 0}
ol.steps li{margin:2px 0} .kw{font-weight:700;color:#6b3fa0;display:inline-block;min-width:48px}
li.failed{color:#c0392b;font-weight:600} li.notrun{color:#8a93a3}
pre{background:#f1f3f6;border-radius:4px;padding:6px 10px;margin:4px 0 4px 52px;white-space:pre-wrap;
    font-size:13px}
table{border-collapse:collapse;margin:4px 0 4px 52px;font-size:13px}
td,th{border:1px solid #cfd5de;padding:2px 8px;text-align:left}
.msg{color:#c0392b;white-space:pre-wrap;font:13px ui-monospace,monospace;margin:6px 0}
.runs{margin:4px 0;font-size:13px;color:#475063}
.cov td,.cov th{margin:0}
nav a{margin-right:12px}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _overall(results: list[Result]) -> str:
    if not results:
        return "notrun"
    if any(r.outcome == "failed" for r in results):
        return "failed"
    if all(r.outcome == "passed" for r in results):
        return "passed"
    return "skipped"


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render(
    results: list[Result],
    *,
    title: str = "Reminder task sync — executable specification",
    elapsed: float | None = None,
) -> str:
    """The whole page as one string."""
    features = build_document(results)
    counts = defaultdict(int)
    for result in results:
        counts[result.outcome] += 1
    variants = sorted({r.variant for r in results if r.variant})
    coverage: dict[str, list[tuple[_Feature, _Example]]] = defaultdict(list)
    for feature in features:
        for rule in feature.rules:
            for example in rule.examples:
                for tag in example.tags:
                    if RULE_ID.match(tag):
                        coverage[tag].append((feature, example))

    out: list[str] = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{_esc(title)}</h1>",
        "<p class='desc'>Every Example below is run against the real mocks and sync engine. "
        "Tags name the rules of the spec each Example proves.</p>",
        "<div class='summary'>",
        f"<div class='box'><b>{counts['passed']}</b> passed</div>",
        f"<div class='box'><b>{counts['failed']}</b> failed</div>",
        f"<div class='box'><b>{counts['skipped']}</b> skipped</div>",
        f"<div class='box'>modes: <b>{_esc(', '.join(variants) or 'default')}</b></div>",
    ]
    if elapsed is not None:
        out.append(f"<div class='box'>run time <b>{elapsed:.1f} s</b></div>")
    out.append("</div>")

    out.append(
        "<nav>" + "".join(f"<a href='#{_anchor(f.filename)}'>{_esc(f.name)}</a>" for f in features) + "</nav>"
    )

    out.append("<h2 id='coverage'>Rules and the Examples that prove them</h2>")
    out.append("<table class='cov'><tr><th>rule</th><th>result</th><th>Examples</th></tr>")
    for rule_id in sorted(coverage, key=_rule_sort_key):
        pairs = coverage[rule_id]
        state = _overall([r for _, ex in pairs for r in ex.results])
        links = "<br>".join(
            f"<a href='#{_anchor(f.filename)}-{ex.line}'>{_esc(f.name)} — {_esc(ex.name)}</a>"
            for f, ex in pairs
        )
        out.append(
            f"<tr><td><span class='tag'>@{_esc(rule_id)}</span></td>"
            f"<td><span class='badge {state}'>{state}</span></td><td>{links}</td></tr>"
        )
    out.append("</table>")

    for feature in features:
        out.append(f"<h2 id='{_anchor(feature.filename)}'>Feature: {_esc(feature.name)}</h2>")
        out.append(f"<div class='runs'>{_esc(feature.filename)}</div>")
        if feature.description:
            out.append(f"<div class='desc'>{_esc(_dedent(feature.description))}</div>")
        for rule in feature.rules:
            if rule.name:
                out.append(f"<h3>Rule: {_esc(rule.name)}</h3>")
                if rule.description:
                    out.append(f"<div class='desc'>{_esc(_dedent(rule.description))}</div>")
            for example in rule.examples:
                out.append(_render_example(feature, example))
    out.append("</main></body></html>")
    return "\n".join(out)


def _render_example(feature: _Feature, example: _Example) -> str:
    state = _overall(example.results)
    parts = [f"<div class='ex {state}' id='{_anchor(feature.filename)}-{example.line}'>"]
    tags = "".join(f"<span class='tag'>@{_esc(t)}</span>" for t in example.tags)
    parts.append(
        f"<div>{tags}</div><div><span class='exname'>{_esc(example.keyword)}: "
        f"{_esc(example.name)}</span><span class='badge {state}'>{state}</span></div>"
    )
    if not example.results:
        parts.append("<div class='runs'>not run in this session</div></div>")
        return "".join(parts)
    shown_steps = None
    for result in example.results:
        label = " · ".join(
            filter(
                None,
                [
                    result.variant and f"mode {result.variant}",
                    ", ".join(f"{k} = {v}" for k, v in result.example.items()),
                ],
            )
        )
        parts.append(
            f"<div class='runs'><span class='badge {result.outcome}'>{result.outcome}</span> "
            f"{_esc(label)} ({result.duration:.2f} s)</div>"
        )
        # the steps once per distinct text (a plain Example in two modes shows them once), and on failure
        if shown_steps != _steps_key(result) or result.outcome != "passed":
            parts.append(_render_steps(result))
            shown_steps = _steps_key(result)
        if result.message:
            parts.append(f"<div class='msg'>{_esc(result.message)}</div>")
        if result.details and result.outcome == "failed":
            parts.append(
                f"<details><summary>full failure</summary><pre>{_esc(result.details)}</pre></details>"
            )
    parts.append("</div>")
    return "".join(parts)


def _steps_key(result: Result) -> tuple:
    return tuple((s["keyword"], s["name"]) for s in result.steps)


def _render_steps(result: Result) -> str:
    items = []
    for step in result.steps:
        css = "failed" if step["failed"] else ("" if step["ran"] or result.outcome == "passed" else "notrun")
        item = f"<li class='{css}'><span class='kw'>{_esc(step['keyword'])}</span> {_esc(step['name'])}"
        if step["docstring"]:
            item += f"<pre>{_esc(step['docstring'])}</pre>"
        if step["datatable"]:
            rows = "".join(
                "<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in step["datatable"]
            )
            item += f"<table>{rows}</table>"
        items.append(item + "</li>")
    return "<ol class='steps'>" + "".join(items) + "</ol>"


def _dedent(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines())


def _rule_sort_key(rule_id: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"\d+|[a-z]+", rule_id))
