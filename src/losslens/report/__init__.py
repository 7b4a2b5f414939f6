"""Renderers of a Diagnosis: text (terminal), JSON (Diagnosis.to_json), HTML and plots.

``write_report`` and ``plot_diagnosis`` are re-exported lazily so that importing this package
imports neither the HTML assets nor matplotlib.
"""


def write_report(diagnoses, path, title="losslens report"):
    """Write one self-contained HTML report for ``diagnoses``; see :mod:`losslens.report.html`."""
    from .html import write_report as _write
    return _write(diagnoses, path, title=title)


def plot_diagnosis(diagnosis, ax=None, **kwargs):
    """Draw ``diagnosis`` on a matplotlib axes; see :mod:`losslens.report.plot`."""
    from .plot import plot_diagnosis as _plot
    return _plot(diagnosis, ax=ax, **kwargs)
