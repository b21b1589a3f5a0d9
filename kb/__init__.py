"""Solved cases: tables, import/export, review states, embedder, FAISS index, retrieval."""
