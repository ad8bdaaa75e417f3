"""Excel import of workers and of whole teams (R10): jobs, their rows, and the error copy."""
