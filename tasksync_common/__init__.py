"""What the mocks and the sync engine share without either owning the other: the injectable Clock
(`tasksync_common.clock`), the one time format (`tasksync_common.instants`) and SIA's subject-template
language (`tasksync_common.subject_template`).

Pure Python, standard library only, so `pip install tasksync-harness[engine]` needs nothing of the mocks.
"""

from tasksync_common.clock import Clock
from tasksync_common.instants import parse_instant

__all__ = ["Clock", "parse_instant"]
