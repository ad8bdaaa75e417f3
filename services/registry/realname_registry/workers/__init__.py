"""Workers and their employment: registration, edits, history, resignation (R5–R17, R25)."""
