"""The paper channel: printable forms, their geometry, scanning and the review queue.

layout.py (geometry), typesetting.py (text on the page) and the mark reading are Django-free;
models.py keeps the records.
"""
