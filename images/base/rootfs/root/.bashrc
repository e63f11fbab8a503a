# Quai: everything lives in /etc/bash.bashrc; add your own settings below.
