package io.scalebox.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code scalebox}: the command-line client of scaleboxd. */
public final class Main {
    private Main() {
    }

    public static void main(String[] argv) {
        Path libexec = Path.of(System.getProperty("scalebox.libexec", "/usr/lib/scalebox"));
        Path system = Path.of(System.getenv().getOrDefault("SCALEBOX_SYSTEM_CONFIG", "/etc/scalebox/config"));
        System.exit(run(List.of(argv), System.getenv(), system, libexec, System.in, System.out, System.err));
    }

    static int run(List<String> argv, Map<String, String> env, Path systemConfig, Path libexec, InputStream in,
                   PrintStream out, PrintStream err) {
        // --json and --help apply to every command and may stand anywhere before "--".
        List<String> args = new ArrayList<>();
        boolean json = false;
        boolean help = false;
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("--")) {
                args.addAll(argv.subList(i, argv.size()));
                break;
            }
            if (a.equals("--json")) {
                json = true;
            } else if (a.equals("--help") || a.equals("-h")) {
                help = true;
            } else {
                args.add(a);
            }
        }
        Context ctx = new Context(out, err, in, env, systemConfig, libexec, json);
        try {
            return dispatch(ctx, args, help);
        } catch (CliException e) {
            err.println("scalebox: " + e.getMessage());
            if (e.exit() == Exit.USAGE) {
                boolean known = !args.isEmpty() && Help.of(command(args)).isPresent();
                err.println("Try 'scalebox help'" + (known ? " or 'scalebox " + command(args) + " --help'" : "") + ".");
            }
            return e.exit().code();
        } catch (RuntimeException e) {
            // A bug, not a user error: one line, and the details for a report.
            err.println("scalebox: internal error: " + e);
            return Exit.FAILURE.code();
        }
    }

    private static int dispatch(Context ctx, List<String> args, boolean help) throws CliException {
        if (args.isEmpty()) {
            if (help) {
                ctx.out.print(Help.overview());
                return 0;
            }
            throw CliException.usage("no command given");
        }
        String cmd = command(args);
        if (help || args.get(0).equals("help")) {
            String topic = args.get(0).equals("help") ? String.join(" ", args.subList(1, args.size())) : cmd;
            if (topic.isEmpty()) {
                ctx.out.print(Help.overview());
                return 0;
            }
            ctx.out.print(Help.of(topic).orElseThrow(() -> CliException.usage("no command '" + topic + "'")));
            return 0;
        }
        List<String> rest = args.subList(Math.min(args.size(), cmd.split(" ").length), args.size());
        VmCommands vm = new VmCommands(ctx);
        TemplateCommands template = new TemplateCommands(ctx);
        SessionCommands session = new SessionCommands(ctx);
        GuestAccess guest = new GuestAccess(ctx);
        GuestCommands agent = new GuestCommands(ctx);
        HostCommands hosts = new HostCommands(ctx);
        return switch (cmd) {
            case "login" -> session.login(rest);
            case "logout" -> session.logout(rest);
            case "config show" -> session.configShow(rest);
            case "status" -> session.status(rest);
            case "version" -> session.version(rest);
            case "events" -> session.events(rest);
            case "vm list", "vm ls" -> vm.list(rest);
            case "vm create" -> vm.create(rest);
            case "vm get", "vm show" -> vm.get(rest);
            case "vm console" -> vm.console(rest);
            case "vm delete", "vm rm" -> vm.delete(rest);
            case "vm snapshot" -> vm.snapshot(rest);
            case "vm stop" -> vm.power("stop", rest);
            case "vm start" -> vm.power("start", rest);
            case "vm pause" -> vm.power("pause", rest);
            case "vm resume" -> vm.power("resume", rest);
            case "vm wait" -> guest.waitFor(rest);
            case "template list", "template ls" -> template.list(rest);
            case "template delete", "template rm" -> template.delete(rest);
            case "template build" -> template.build(rest);
            case "template warm" -> template.warm(rest);
            case "hosts", "host list", "host ls" -> hosts.list(rest);
            case "host drain" -> hosts.drain(rest, true);
            case "host undrain" -> hosts.drain(rest, false);
            case "host remove", "host rm" -> hosts.remove(rest);
            case "connect", "ssh" -> guest.connect(rest);
            case "run" -> guest.run(rest);
            case "exec" -> agent.exec(rest);
            case "cp" -> agent.cp(rest);
            case "ls" -> agent.ls(rest);
            default -> throw CliException.usage(unknown(args));
        };
    }

    /** "vm create" for two-word commands, "status" for one-word ones. */
    private static String command(List<String> args) {
        String first = args.get(0);
        boolean group = first.equals("vm") || first.equals("template") || first.equals("config") || first.equals("host");
        return group && args.size() > 1 && !args.get(1).equals("--") ? first + " " + args.get(1) : first;
    }

    private static String unknown(List<String> args) {
        String first = args.get(0);
        if ((first.equals("vm") || first.equals("template") || first.equals("config") || first.equals("host"))
                && args.size() == 1) {
            return "'" + first + "' needs a subcommand:\n" + Help.of(first).orElse("");
        }
        return "unknown command '" + command(args) + "'";
    }
}
