"""Self-play reinforcement learning: games, workers, evaluation and the generation loop."""
