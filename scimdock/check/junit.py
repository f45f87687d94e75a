"""JUnit XML, both ways: ``--junit FILE`` written for CI (one ``testsuite``
per suite, one ``testcase`` per check, ``failure`` and ``skipped`` with
their reasons: the shape of the Jenkins/Ant JUnit schema that CI systems
read), and schemathesis's own report read back for the ``fuzz`` suite."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from scimdock.check.model import FAILED, SKIPPED, Result


def write(results: list[Result], path: Path) -> None:
    root = ET.Element("testsuites", name="scimdock check")
    suites: dict[str, ET.Element] = {}
    for result in results:
        suite = suites.get(result.suite)
        if suite is None:
            suite = suites[result.suite] = ET.SubElement(root, "testsuite", name=result.suite)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"scimdock.check.{result.suite}",
            name=result.id,
            time=f"{result.seconds:.3f}",
        )
        ET.SubElement(case, "properties").append(
            ET.Element("property", name="source", value=result.source)
        )
        if result.outcome == FAILED:
            failure = ET.SubElement(case, "failure", message=result.reason.split("\n")[0][:500])
            failure.text = result.reason + (
                "\n\n" + result.exchange.text() if result.exchange is not None else ""
            )
        elif result.outcome == SKIPPED:
            ET.SubElement(case, "skipped", message=result.reason)
    for name, suite in suites.items():
        mine = [r for r in results if r.suite == name]
        suite.set("tests", str(len(mine)))
        suite.set("failures", str(sum(r.outcome == FAILED for r in mine)))
        suite.set("skipped", str(sum(r.outcome == SKIPPED for r in mine)))
        suite.set("errors", "0")
        suite.set("time", f"{sum(r.seconds for r in mine):.3f}")
    root.set("tests", str(len(results)))
    root.set("failures", str(sum(r.outcome == FAILED for r in results)))
    root.set("errors", "0")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def read_cases(path: Path) -> list[dict[str, str]]:
    """Each ``testcase`` of a JUnit report: name, outcome, message, time."""
    if not path.exists():
        return []
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            found = case.find(tag)
            if found is not None:
                outcome = "skipped" if tag == "skipped" else "failed"
                message = "\n".join(
                    t for t in (found.get("message", ""), (found.text or "").strip()) if t
                )
                break
        cases.append(
            {
                "name": case.get("name", ""),
                "outcome": outcome,
                "message": message,
                "time": case.get("time", "0"),
            }
        )
    return cases
