"""Sources: parsers that turn a file's text into image uses and instruction facts with spans."""
