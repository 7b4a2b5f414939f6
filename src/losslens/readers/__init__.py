"""Readers: one module per format, each turning a file into Runs.

The format is detected from the content, not the file name. ``read(path)`` returns a
list of Runs (a long-format file or a directory can hold many).
"""
