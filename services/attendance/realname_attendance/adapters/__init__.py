"""The outside systems attendance talks to."""
