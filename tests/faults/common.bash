# common.bash: the fault suites' helpers, shared with the end-to-end suites
# in tests/lib/common.bash (sourced here so that every fault suite keeps
# sourcing "$(dirname "$0")/common.bash").
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"
