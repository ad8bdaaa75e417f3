"""The attendance ledger (考勤台账, R28): each worker's days on a project, closed, corrected, read."""
