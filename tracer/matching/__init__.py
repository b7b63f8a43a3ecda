"""Entity resolution: normalization, comparison, Fellegi-Sunter scoring, clustering, ranking."""
