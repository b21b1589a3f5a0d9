class ClassifierError(Exception):
    """Root of every error the classifier package raises."""
