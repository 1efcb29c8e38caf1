# conf_get KEY [FILE]: the value of KEY in FILE (default $CONF) as scaleboxd's EnvFile reads
# it: the last assignment wins; an "export " prefix, white space around key and value and one
# pair of matching quotes around the value are dropped; '#' and ';' lines are comments.
# The canonical copy: postinst, postrm, build-template and scalebox-generator carry it
# verbatim (a maintainer script cannot source package files at purge); ConfigReaderParityTest
# pins all of them.
conf_get() {
    [ -r "${2:-$CONF}" ] || return 0
    sed -n "s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}$1[[:space:]]*=[[:space:]]*//p" "${2:-$CONF}" \
        | tail -n 1 | sed "s/[[:space:]]*\$//; s/^\"\(.*\)\"\$/\1/; s/^'\(.*\)'\$/\1/"
}
