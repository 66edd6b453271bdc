"""The symptom diary: check-in entries, their chart and the note for a professional."""
