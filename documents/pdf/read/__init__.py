"""Reading PDFs that arrive, which may be hostile: fields read with pypdf in a worker process
under memory, CPU and time limits, and a raw-bytes scan for active content (scripts, automatic
actions, XFA, data hidden before or after the PDF).
"""
