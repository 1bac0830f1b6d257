"""marshmallow schemas: the shape and syntax of what clients send, checked without the database."""
