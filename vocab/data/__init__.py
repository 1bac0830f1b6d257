"""Package marker so the shipped SKOS Turtle files install as package data of ``vocab``."""
