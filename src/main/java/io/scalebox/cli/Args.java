package io.scalebox.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The arguments of one command: options it declared (with or without a value, long and
 * short forms, {@code --opt=value}) and positionals. Everything after {@code --} is kept
 * verbatim (the remote command of {@code run}).
 */
public final class Args {
    /** Each option's values in the order given (a repeated one, e.g. -e, keeps them all). */
    private final Map<String, List<String>> values = new HashMap<>();
    private final List<String> positionals = new ArrayList<>();
    private final List<String> rest = new ArrayList<>();

    /**
     * @param command  shown in error messages ("vm create")
     * @param flags    options without a value, e.g. "--json"
     * @param valued   options that take a value, e.g. "--name"
     * @param aliases  short form to long form, e.g. "-n" to "--name"
     */
    public static Args parse(String command, List<String> argv, Set<String> flags, Set<String> valued,
                             Map<String, String> aliases) throws CliException {
        Args a = new Args();
        for (int i = 0; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (arg.equals("--")) {
                a.rest.addAll(argv.subList(i + 1, argv.size()));
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                a.positionals.add(arg);
                continue;
            }
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            name = aliases.getOrDefault(name, name);
            if (flags.contains(name)) {
                if (inline != null) {
                    throw CliException.usage("option " + name + " of '" + command + "' takes no value");
                }
                a.values.computeIfAbsent(name, k -> new ArrayList<>()).add("");
            } else if (valued.contains(name)) {
                if (inline == null) {
                    if (i + 1 >= argv.size()) {
                        throw CliException.usage("option " + name + " of '" + command + "' needs a value");
                    }
                    inline = argv.get(++i);
                }
                a.values.computeIfAbsent(name, k -> new ArrayList<>()).add(inline);
            } else {
                throw CliException.usage("unknown option '" + arg + "' for '" + command + "'");
            }
        }
        return a;
    }

    public boolean has(String option) {
        return values.containsKey(option);
    }

    /** The option's value (the last one, when it was given more than once). */
    public Optional<String> value(String option) {
        List<String> v = values.get(option);
        return v == null ? Optional.empty() : Optional.of(v.get(v.size() - 1));
    }

    /** Every value of a repeatable option, in order. */
    public List<String> values(String option) {
        return List.copyOf(values.getOrDefault(option, List.of()));
    }

    /** A whole number in [min, max], or a usage error naming the option. */
    public Optional<Integer> integer(String option, int min, int max) throws CliException {
        Optional<String> v = value(option);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            int n = Integer.parseInt(v.get());
            if (n >= min && n <= max) {
                return Optional.of(n);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw CliException.usage(option + " must be a whole number " + (max == Integer.MAX_VALUE
                ? "of at least " + min : "from " + min + " to " + max) + ", got '" + v.get() + "'");
    }

    public List<String> positionals() {
        return List.copyOf(positionals);
    }

    /** Exactly {@code names.length} positionals, else a usage error listing what is expected. */
    public List<String> expect(String command, String... names) throws CliException {
        if (positionals.size() != names.length) {
            String want = names.length == 0 ? "no arguments" : "<" + String.join("> <", names) + ">";
            throw CliException.usage("'" + command + "' takes " + want + (positionals.isEmpty() ? ""
                    : ", got: " + String.join(" ", positionals)));
        }
        return positionals();
    }

    public List<String> rest() {
        return List.copyOf(rest);
    }
}
