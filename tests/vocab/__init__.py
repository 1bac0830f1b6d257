"""Tests of the vocabulary layer (vocab/)."""
