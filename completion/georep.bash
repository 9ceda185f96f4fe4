# georep bash completion: the functions. `georep completion bash` prints the tables this reads
# (_georep_sub, _georep_opt, _georep_val, _georep_arg, _georep_choice, _georep_keys: verbs,
# options and values of that georep) followed by this file. Needs bash >= 4.3, nothing else;
# evaluates nothing the user typed.

# A word as the shell will pass it: quotes and backslashes removed (nothing is expanded).
_georep_dequote() {
  local s=$1 out= i c
  case $s in
    \'*) s=${s#\'}; printf '%s' "${s%\'}"; return ;;
    \"*) s=${s#\"}; s=${s%\"} ;;
  esac
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    if [[ $c == \\ ]]; then ((i++)); c=${s:i:1}; fi
    out+=$c
  done
  printf '%s' "$out"
}

# Adds each candidate that starts with $2 (dequoted) to COMPREPLY; $1 is the candidates' array name.
_georep_add() {
  local -n _cands=$1
  local c
  for c in "${_cands[@]}"; do [[ $c == "$2"* ]] && COMPREPLY+=("$c"); done
}

# Session masters and slaves of the workdir (--workdir on the line, else georep's own default).
_georep_sessions() {
  _georep_m=() _georep_s=()
  local m s
  while IFS= read -r -d '' m && IFS= read -r -d '' s; do
    _georep_m+=("$m") _georep_s+=("$s")
  done < <("$_georep_cmd" __complete-sessions "${_georep_wd[@]}" 2>/dev/null)
}

_georep() {
  COMPREPLY=()
  local cur=${COMP_WORDS[COMP_CWORD]} prev= opt= path=georep w i skip=0 dashdash=0 glue=0
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local -a pos=()
  _georep_wd=()
  _georep_cmd=$(_georep_dequote "${COMP_WORDS[0]}")
  _georep_cmd=${_georep_cmd/#\~/$HOME}
  # Walk the words before the cursor: the verb path, positionals, and --workdir.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if ((skip)); then
      [[ $w == = ]] && continue # --opt=value: COMP_WORDBREAKS splits at '='
      skip=0
      [[ $opt == --workdir ]] && _georep_wd=(--workdir "$(_georep_dequote "$w")")
      continue
    fi
    if ((!dashdash)); then
      case $w in
        --) dashdash=1; continue ;;
        =) skip=1; opt=; continue ;; # a bool written --flag=value
        -*)
          opt=$w
          [[ ${_georep_val[$path]} == *" $w "* ]] && skip=1
          continue ;;
      esac
    fi
    # host:/path arrives split at ':' (COMP_WORDBREAKS): glue it back into one argument.
    if [[ $w == : ]] && ((${#pos[@]})); then pos[-1]+=:; glue=1; continue; fi
    if ((glue)); then glue=0; pos[-1]+=$(_georep_dequote "$w"); continue; fi
    if ((${#pos[@]} == 0 && !dashdash)) && [[ " ${_georep_sub[$path]} " == *" $w "* ]]; then
      path+=" $w"
    else
      pos+=("$(_georep_dequote "$w")")
    fi
  done
  # The value of an option: --opt VALUE, --opt=VALUE (split as --opt = VALUE).
  if [[ $cur == = ]]; then opt=$prev cur=
  elif [[ $prev == = ]]; then opt=${COMP_WORDS[COMP_CWORD - 2]}
  elif [[ ${_georep_val[$path]} == *" $prev "* ]]; then opt=$prev
  else opt=
  fi
  local dcur
  dcur=$(_georep_dequote "$cur")
  if [[ -n $opt ]]; then
    case $opt in
      --workdir|--log-file|--unit-dir|--root) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$dcur") ;;
      --reset) local -a keys=($_georep_keys); _georep_add keys "$dcur" ;;
      *)
        if [[ -n ${_georep_choice[${opt#--}]} ]]; then
          local -a vals=(${_georep_choice[${opt#--}]})
          _georep_add vals "$dcur"
        fi ;;
    esac
    return 0
  fi
  if [[ $cur == -* ]] && ((!dashdash)); then
    local -a opts=(${_georep_opt[$path]})
    _georep_add opts "$cur"
    return 0
  fi
  if ((${#pos[@]} == 0)) && [[ -n ${_georep_sub[$path]} ]]; then
    local -a subs=(${_georep_sub[$path]})
    _georep_add subs "$dcur"
    [[ -n ${_georep_arg[$path]} ]] || return 0
  fi
  local -a kinds=(${_georep_arg[$path]})
  local n=${#pos[@]}
  # The word under the cursor continues a host:path argument (bash split it at ':').
  if ((glue)) || [[ $cur == : ]]; then ((n--)); fi
  ((n < 0)) && n=0
  local kind=${kinds[n]}
  case $kind in
    master|slave)
      compopt -o filenames 2>/dev/null
      _georep_sessions
      local -a mine=()
      if [[ $kind == master ]]; then
        mine=("${_georep_m[@]}")
      else
        local real
        real=$(realpath -m -- "${pos[0]}" 2>/dev/null) || real=${pos[0]}
        for ((i = 0; i < ${#_georep_s[@]}; i++)); do
          [[ ${_georep_m[i]} == "$real" || ${_georep_m[i]} == "${pos[0]}" ]] && mine+=("${_georep_s[i]}")
        done
      fi
      local -A seen=()
      for w in "${mine[@]}"; do
        [[ -n ${seen[$w]} ]] && continue
        seen[$w]=1
        [[ $w == "$dcur"* ]] && COMPREPLY+=("$w")
      done
      while IFS= read -r w; do
        [[ -z ${seen[$w]} && -z ${seen[${w%/}]} ]] && COMPREPLY+=("$w")
      done < <(compgen -d -- "$dcur")
      # host:/path slaves: bash replaces only what follows the last ':' of the word.
      if [[ $COMP_WORDBREAKS == *:* ]]; then
        local left=${COMP_LINE:0:COMP_POINT}
        left=${left##*[[:space:]]}
        if [[ $left == *:* ]]; then
          local strip=${left%"${left##*:}"}
          COMPREPLY=()
          for w in "${mine[@]}"; do [[ $w == "$left"* ]] && COMPREPLY+=("${w#"$strip"}"); done
        fi
      fi ;;
    dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$dcur") ;;
    file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$dcur") ;;
    key) local -a keys=($_georep_keys); _georep_add keys "$dcur" ;;
    value)
      local -a vals=(${_georep_choice[${pos[2]}]})
      _georep_add vals "$dcur" ;;
    time) [[ now == "$dcur"* ]] && COMPREPLY=(now) ;;
    shell) [[ bash == "$dcur"* ]] && COMPREPLY=(bash) ;;
    command) local -a subs=(${_georep_sub[georep]}); _georep_add subs "$dcur" ;;
  esac
  return 0
}

complete -F _georep georep
