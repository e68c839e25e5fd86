"""End-to-end tests: the real ``supportmail`` process in a real terminal (tmux)."""
