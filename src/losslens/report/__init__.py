"""Renderers of a Diagnosis: text (terminal), JSON (Diagnosis.to_json), HTML and plots."""
