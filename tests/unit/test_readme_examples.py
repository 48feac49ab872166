"""The README's in-process example is run as written, so the first thing a newcomer copies works."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_in_process_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    example = next(b for b in blocks if "@mock_salesforce" in b)
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)
    tests = [name for name in namespace if name.startswith("test_")]
    assert tests, "the README example should define test functions"
    for name in tests:
        namespace[name]()
