# System-wide bashrc of a Quai playground node.
[ -z "$PS1" ] && return

shopt -s checkwinsize histappend
HISTSIZE=10000
HISTFILESIZE=20000

export TERM="${TERM:-xterm-256color}"
export LANG="${LANG:-C.UTF-8}"
export EDITOR=vim PAGER=less LESS=-R

# root@node1:~# in colours: user@host in green, directory in blue.
if [ "$(id -u)" -eq 0 ]; then sign='#'; else sign='$'; fi
PS1="\[\e[1;32m\]\u@\h\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]${sign} "
unset sign

alias ls='ls --color=auto'
alias ll='ls -alF'
alias grep='grep --color=auto'

if [ -f /usr/share/bash-completion/bash_completion ]; then
  . /usr/share/bash-completion/bash_completion
fi

# Greet in the first shell of a terminal, not in nested ones.
if [ "${SHLVL:-1}" -le 1 ] && [ -r /etc/motd ]; then cat /etc/motd; fi

# A lesson's foreground scripts wait in /tmp/.quai/pending for the node's first shell, which
# runs them in order where the student sees them (a terminal already open gets them typed).
if [ -d /tmp/.quai/pending ]; then
  for quai_fg in /tmp/.quai/pending/*.sh; do
    [ -e "$quai_fg" ] || continue
    quai_run="/tmp/.quai/foreground/${quai_fg##*/}"
    mv "$quai_fg" "$quai_run" 2>/dev/null && bash "$quai_run"
  done
  unset quai_fg quai_run
fi
