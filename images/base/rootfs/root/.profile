# Quai: /etc/profile already reads /etc/bash.bashrc for interactive bash; this adds ~/.bashrc.
if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
