"""guard: a fast static-analysis safety net for model-generated Python patches."""
