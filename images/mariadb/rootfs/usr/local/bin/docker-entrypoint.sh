#!/bin/bash
# The entry point of Quai's mariadb (and mysql) image, after the official images' one.
#
# With mariadbd (or mysqld, or options) as the command: as root, it makes the data folder the
# user mysql's and runs itself again as mysql. When the data folder holds no database yet,
# it makes one: the root password from MARIADB_ROOT_PASSWORD (or _HASH), an empty one with
# MARIADB_ALLOW_EMPTY_ROOT_PASSWORD, a random one with MARIADB_RANDOM_ROOT_PASSWORD (refusing
# to start with none of them); MARIADB_DATABASE, MARIADB_USER and MARIADB_PASSWORD; then
# /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz, *.sql.xz in name order. Every
# MARIADB_X may be given as MYSQL_X, and as X_FILE naming a file that holds the value.
# Any other command runs as it is.
set -eo pipefail
shopt -s nullglob

log() {
    printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$1" "$2"
}
note() { log Note "$*"; }
warn() { log Warn "$*" >&2; }
fail() {
    log ERROR "$*" >&2
    exit 1
}

# The value of MARIADB_$1, MYSQL_$1 (or $2 for the mysql image's name of it), or of a file
# named by the same with _FILE.
setting() {
    local name
    for name in "MARIADB_$1" "MYSQL_${2:-$1}"; do
        local file="${name}_FILE"
        if [ -n "${!name:-}" ]; then
            printf '%s' "${!name}"
            return
        fi
        if [ -n "${!file:-}" ]; then
            cat "${!file}"
            return
        fi
    done
}

# $1 as the inside of an SQL string literal.
sql_string() {
    local text=${1//\\/\\\\}
    printf '%s' "${text//\'/\\\'}"
}

# $1 as the inside of an SQL `identifier`.
sql_name() {
    printf '%s' "${1//\`/\`\`}"
}

socket=/run/mysqld/mysqld.sock

# The server started for the set-up: no network, the socket only.
start_temporary_server() {
    "$@" --skip-networking --socket="$socket" --default-time-zone=SYSTEM --skip-log-bin \
        --loose-innodb-buffer-pool-load-at-startup=0 &
    server=$!
    local i
    for i in $(seq 60); do
        if mariadb --protocol=socket --socket="$socket" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
            return
        fi
        kill -0 "$server" 2>/dev/null || fail "the server did not start; its messages are above"
        sleep 0.5
    done
    fail "the server did not answer within 30 seconds"
}

stop_temporary_server() {
    kill "$server"
    wait "$server" || true
}

# Runs SQL from standard input as root over the socket, in the database $1 when given; root's
# password is $root_sql_password (empty until it is set).
root_sql_password=
as_root() {
    MYSQL_PWD=$root_sql_password mariadb --protocol=socket --socket="$socket" -uroot \
        --binary-mode ${1:+--database="$1"}
}

# The SQL giving root its password, on localhost and on $root_host.
set_root_password() {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "ALTER USER 'root'@'localhost' $identified;"
    if [ "$root_host" != localhost ]; then
        echo "CREATE USER 'root'@'$(sql_string "$root_host")' $identified;"
        echo "GRANT ALL ON *.* TO 'root'@'$(sql_string "$root_host")' WITH GRANT OPTION;"
        echo "GRANT PROXY ON ''@'%' TO 'root'@'$(sql_string "$root_host")' WITH GRANT OPTION;"
    fi
    echo "FLUSH PRIVILEGES;"
}

initialize() {
    local datadir=$1
    shift
    local random allow_empty
    root_password=$(setting ROOT_PASSWORD)
    root_password_hash=$(setting ROOT_PASSWORD_HASH)
    random=$(setting RANDOM_ROOT_PASSWORD)
    allow_empty=$(setting ALLOW_EMPTY_ROOT_PASSWORD ALLOW_EMPTY_PASSWORD)
    if [ -z "$root_password" ] && [ -z "$root_password_hash" ] && [ -z "$random" ] && [ -z "$allow_empty" ]; then
        fail "Database is uninitialized and password option is not specified
	You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD
	(the mysql image's names work too: MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD, MYSQL_RANDOM_ROOT_PASSWORD)"
    fi
    if [ "$(setting USER)" = root ]; then
        fail "MARIADB_USER=root: the root user is made anyway; set its password with MARIADB_ROOT_PASSWORD"
    fi
    if [ -n "$random" ] && [ -z "$root_password" ] && [ -z "$root_password_hash" ]; then
        root_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
        note "GENERATED ROOT PASSWORD: $root_password"
    fi

    note "Initializing database files"
    mariadb-install-db --datadir="$datadir" --rpm --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve --skip-log-bin --default-time-zone=SYSTEM \
        --loose-innodb-buffer-pool-load-at-startup=0 >/dev/null
    note "Database files initialized"

    note "Starting temporary server"
    start_temporary_server "$@"
    note "Temporary server started"

    local database user password
    if [ -n "$root_password_hash" ]; then
        identified="IDENTIFIED BY PASSWORD '$(sql_string "$root_password_hash")'"
    else
        identified="IDENTIFIED BY '$(sql_string "$root_password")'"
    fi
    root_host=$(setting ROOT_HOST)
    root_host=${root_host:-%}
    database=$(setting DATABASE)
    user=$(setting USER)
    password=$(setting PASSWORD)
    {
        echo "SET @@SESSION.SQL_LOG_BIN=0;"
        echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1', ''@'localhost', ''@'%';"
        echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\\'', @@hostname, '\\'');"
        echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS \\'\\'@\\'', @@hostname, '\\'');"
        if [ -n "$database" ]; then
            note "Creating database $database" >&2
            echo "CREATE DATABASE IF NOT EXISTS \`$(sql_name "$database")\`;"
        fi
        if [ -n "$user" ]; then
            note "Creating user $user" >&2
            echo "CREATE USER '$(sql_string "$user")'@'%' IDENTIFIED BY '$(sql_string "$password")';"
            if [ -n "$database" ]; then
                note "Giving user $user access to schema $database" >&2
                echo "GRANT ALL ON \`$(sql_name "${database//_/\\_}")\`.* TO '$(sql_string "$user")'@'%';"
            fi
        fi
    } | as_root
    # Root's password now, so that scripts can use it; when only its hash is known, at the end.
    if [ -z "$root_password_hash" ]; then
        set_root_password | as_root
        root_sql_password=$root_password
    fi

    local file
    for file in /docker-entrypoint-initdb.d/*; do
        case "$file" in
            *.sh)
                if [ -x "$file" ]; then
                    note "$0: running $file"
                    "$file"
                else
                    note "$0: sourcing $file"
                    # shellcheck disable=SC1090
                    . "$file"
                fi
                ;;
            *.sql) note "$0: running $file"; as_root "$database" < "$file" ;;
            *.sql.gz) note "$0: running $file"; gunzip -c "$file" | as_root "$database" ;;
            *.sql.xz) note "$0: running $file"; xzcat "$file" | as_root "$database" ;;
            *) warn "$0: ignoring $file" ;;
        esac
    done

    if [ -n "$root_password_hash" ]; then
        set_root_password | as_root
    fi

    note "Stopping temporary server"
    stop_temporary_server
    note "Temporary server stopped"
    note "MariaDB init process done. Ready for start up."
}

# Options as the command go to the server.
if [ "${1:0:1}" = - ]; then
    set -- mariadbd "$@"
fi

case "$1" in
    mariadbd | mysqld) ;;
    *) exec "$@" ;;
esac

datadir=/var/lib/mysql
for arg; do
    case "$arg" in
        -'?' | --help | -V | --version | --print-defaults) exec "$@" ;;
        --datadir=*) datadir=${arg#--datadir=} ;;
    esac
done

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$datadir"
    find "$datadir" \! -user mysql -exec chown mysql:mysql '{}' +
    exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi

if [ ! -d "$datadir/mysql" ]; then
    initialize "$datadir" "$@"
fi

note "Starting MariaDB as process 1"
exec "$@"
