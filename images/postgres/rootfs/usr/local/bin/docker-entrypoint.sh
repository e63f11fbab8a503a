#!/bin/bash
# The entry point of Quai's postgres image, after the official image's one.
#
# With postgres (or options) as the command: as root, it makes PGDATA the user postgres's and
# runs itself again as postgres. When PGDATA holds no cluster yet, it makes one: initdb with
# the superuser POSTGRES_USER (postgres) and the password POSTGRES_PASSWORD, refusing to
# start without one unless POSTGRES_HOST_AUTH_METHOD=trust; connections from other hosts
# authenticate by POSTGRES_HOST_AUTH_METHOD (scram-sha-256); POSTGRES_DB (POSTGRES_USER) is
# created; /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz and *.sql.xz run in name order
# against it, on a server that listens on its socket only. POSTGRES_INITDB_ARGS go to initdb.
# Each POSTGRES_X may be given as POSTGRES_X_FILE naming a file that holds the value.
# Any other command runs as it is.
set -Eeo pipefail
shopt -s nullglob

# POSTGRES_X from POSTGRES_X_FILE when that is set.
file_env() {
    local name=$1 file="${1}_FILE"
    if [ -n "${!name:-}" ] && [ -n "${!file:-}" ]; then
        echo "error: both $name and $file are set (but are exclusive)" >&2
        exit 1
    fi
    if [ -n "${!file:-}" ]; then
        export "$name"="$(< "${!file}")"
    fi
}

# Runs psql as the superuser over the socket, stopping at the first error.
run_psql() {
    PGPASSWORD=${POSTGRES_PASSWORD:-} psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
        --no-password --no-psqlrc "$@"
}

initialize() {
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        cat >&2 <<'EOE'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.

       See PostgreSQL documentation about "trust":
       https://www.postgresql.org/docs/current/auth-trust.html
EOE
        exit 1
    fi
    if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
        cat >&2 <<'EOW'
********************************************************************************
WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust". This will allow
         anyone with access to the Postgres port to access your database without
         a password, even if POSTGRES_PASSWORD is set.
********************************************************************************
EOW
    fi

    # shellcheck disable=SC2086
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
            $POSTGRES_INITDB_ARGS
    else
        initdb --username="$POSTGRES_USER" $POSTGRES_INITDB_ARGS
    fi
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
    if [ "$POSTGRES_DB" != postgres ]; then
        echo 'CREATE DATABASE :"db" ;' | run_psql --dbname postgres --set db="$POSTGRES_DB"
        echo
    fi

    local file
    for file in /docker-entrypoint-initdb.d/*; do
        case "$file" in
            *.sh)
                if [ -x "$file" ]; then
                    echo "$0: running $file"
                    "$file"
                else
                    echo "$0: sourcing $file"
                    # shellcheck disable=SC1090
                    . "$file"
                fi
                ;;
            *.sql) echo "$0: running $file"; run_psql --dbname "$POSTGRES_DB" -f "$file"; echo ;;
            *.sql.gz) echo "$0: running $file"; gunzip -c "$file" | run_psql --dbname "$POSTGRES_DB"; echo ;;
            *.sql.xz) echo "$0: running $file"; xzcat "$file" | run_psql --dbname "$POSTGRES_DB"; echo ;;
            *) echo "$0: ignoring $file" ;;
        esac
    done

    pg_ctl -D "$PGDATA" -m fast -w stop
    echo
    echo 'PostgreSQL init process complete; ready for start up.'
    echo
}

# Options as the command go to the server.
if [ "${1:0:1}" = - ]; then
    set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
    exec "$@"
fi
for arg; do
    case "$arg" in
        -'?' | --help | --describe-config | -V | --version) exec "$@" ;;
    esac
done

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA"
    chmod 00700 "$PGDATA" || :
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    mkdir -p /var/run/postgresql
    chmod 03775 /var/run/postgresql || :
    find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER
file_env POSTGRES_DB
file_env POSTGRES_INITDB_ARGS
export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
export POSTGRES_HOST_AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initialize
else
    echo
    echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
    echo
fi

exec "$@"
