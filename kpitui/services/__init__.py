"""What the faces do with a tree: edit it (document, set, record, accept), review a week, outline it."""
