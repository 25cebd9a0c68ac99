"""Reading what offices send: files to cells, forms to figures, inbox and archive."""
