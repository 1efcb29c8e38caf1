package io.scalebox.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Usage text of every command ({@code scalebox help CMD}, {@code CMD --help}). */
final class Help {
    private static final Map<String, String> TEXT = new LinkedHashMap<>();

    static {
        add("login", "login [--host URL] [--token-stdin]",
                "Checks the API token against the server and saves both in the user config\n"
                + "(~/.config/scalebox/config, mode 0600). Asks for the token on the terminal,\n"
                + "or reads it from standard input with --token-stdin.\n"
                + "  --host URL      server, e.g. http://server:8080 (default: the current one)\n"
                + "  --token-stdin   read the token from standard input");
        add("logout", "logout", "Removes the saved server and token (the user config file).");
        add("config show", "config show [--show-token]",
                "Shows the server, the token (masked unless --show-token) and where each comes from:\n"
                + "environment (SCALEBOX_HOST, SCALEBOX_TOKEN) > user config > /etc/scalebox/config.");
        add("status", "status", "Shows the server's version, hypervisor, readiness, VMs and free resources.");
        add("vm list", "vm list [--names]", "Lists the VMs in creation order.\n"
                + "  --names   only the names, one per line");
        add("vm create", "vm create [-t TEMPLATE] [-k KEY|@FILE] [-n NAME] [--vcpus N] [--mem MIB] [--disk GIB] [--host HOST]",
                "Creates and boots a VM. Without -k, the CLI's own key (id_ed25519 in the config\n"
                + "directory) is created if needed and used; connect and run use it too.\n"
                + "  -t, --template NAME   template to clone (default debian-base)\n"
                + "  -k, --key KEY|@FILE   SSH public key line, or @ and a file holding one\n"
                + "  -n, --name NAME       VM name (default: generated)\n"
                + "  --vcpus N             virtual CPUs\n"
                + "  --mem MIB             memory in MiB\n"
                + "  --disk GIB            disk size in GiB (never below the template's)\n"
                + "  --host HOST           in a fleet: the host (id or name, see 'scalebox hosts') to create it on");
        add("hosts", "hosts", "Lists the hosts of the fleet: id, name, status (ready, draining, unreachable,\n"
                + "removed), VMs, free memory and the API URL the other hosts reach it at.");
        add("host drain", "host drain HOST", "Places no new VM on HOST (id or name); its VMs keep running.");
        add("host undrain", "host undrain HOST", "Lets creates go to HOST again.");
        add("host remove", "host remove HOST [--force]",
                "Takes HOST out of the fleet: its VM records and names are dropped and it never joins\n"
                + "again with its id. Refused while HOST is alive (stop its scaleboxd first).\n"
                + "  --force   remove it even though it is alive (its VMs vanish from the fleet)");
        add("events", "events [--since ID]", "Follows the server's lifecycle events (VM created, started, stopped, "
                + "deleted, snapshots, failures with their code) as they happen; --since ID first replays those after"
                + " event ID that the server still holds (0: all); --json prints each event's JSON.");
        add("vm get", "vm get VM", "Shows one VM (by id or name).");
        add("vm console", "vm console VM [-n|--lines N] [--bytes N]",
                "Prints the newest lines (100 by default, at most 10000) or bytes of the VM's serial console.");
        add("vm delete", "vm delete VM...", "Deletes VMs with their disks.");
        add("vm snapshot", "vm snapshot VM TEMPLATE",
                "Copies the VM's disk into a new template; the VM keeps running.");
        add("vm stop", "vm stop VM [--force]", "Powers the VM off; disk, name, port and id stay. The guest is asked\n"
                + "to shut down and forced only after the server's VM_STOP_TIMEOUT.\n"
                + "  -f, --force           power it off at once (unsynced data in the guest is lost)");
        add("vm start", "vm start VM [--discard-state]", "Boots a stopped VM again.\n"
                + "  --discard-state       boot a paused VM from its disk, dropping what it had in memory");
        add("vm pause", "vm pause VM", "Saves the VM's memory and devices to disk and ends its hypervisor (CPU and\n"
                + "memory are free again); name, id, address, port and disk stay, across restarts and reboots.");
        add("vm resume", "vm resume VM", "Loads a paused VM's memory and devices: it runs on from where it was, its\n"
                + "clock set again.");
        add("vm wait", "vm wait VM [--ssh|--agent] [--timeout SECONDS]",
                "Waits until the VM runs; with --ssh until its SSH server answers with a banner,\n"
                + "with --agent until its guest agent answers (exec, cp and ls work then).\n"
                + "Exits 5 when the time (default 300 s) runs out.");
        add("template list", "template list", "Lists the templates.");
        add("template delete", "template delete NAME...", "Deletes templates (protected ones are refused).");
        add("template warm", "template warm NAME...",
                "Builds each template's warm state: the server boots it once in a private VM and\n"
                + "saves it; VMs of the default size are then created by restoring that state.");
        add("template build", "template build debian-base [--mirror URL] [--cache-dir DIR] [--size-gib N] [--if-missing]",
                "Builds the debian-base template and the guest kernel on this host from Debian\n"
                + "packages (root; runs /usr/lib/scalebox/build-template, see its --help).");
        add("connect", "connect VM [--ssh]",
                "Opens a shell in the VM as user: mosh when installed, else ssh (--ssh forces ssh).");
        add("run", "run VM -- COMMAND...", "Runs a command in the VM over SSH; exits with its exit code.");
        add("exec", "exec VM [-u USER] [-w DIR] [-e NAME=VALUE]... [--timeout SECONDS] [-i] -- COMMAND...",
                "Runs a command in the VM through its guest agent (no SSH key needed) and writes its\n"
                + "output as it was; exits with its exit code, 128 + the signal that ended it, or 124\n"
                + "when its timeout did.\n"
                + "  -u, --user USER       run as USER (default: the template's user, \"user\")\n"
                + "  -w, --cwd DIR         working directory (default: the user's home)\n"
                + "  -e, --env NAME=VALUE  an environment variable; repeat for more\n"
                + "  --timeout SECONDS     end it (and all it started) after this long (default 60, at most 3600)\n"
                + "  -i, --stdin           pass this command's standard input (at most 1 MiB)");
        add("cp", "cp [--mode MODE] [--owner USER[:GROUP]] [-p] SOURCE DESTINATION",
                "Copies a file into a VM or out of it through its guest agent; one side is VM:/path,\n"
                + "the other a local file, a local directory, or - (standard input or output).\n"
                + "  --mode MODE           permissions of the new file (default 0644)\n"
                + "  --owner USER[:GROUP]  owner of the new file (default: the template's user)\n"
                + "  -p, --mkdir           make missing parent directories");
        add("ls", "ls VM:/path", "Lists a directory in the VM through its guest agent.");
        add("version", "version", "Shows the CLI's version and the server's, when reachable.");
        add("help", "help [COMMAND]", "Shows this overview or the help of one command.");
    }

    private Help() {
    }

    private static void add(String command, String usage, String text) {
        TEXT.put(command, "Usage: scalebox " + usage + "\n\n" + text + "\n");
    }

    static Optional<String> of(String command) {
        if (TEXT.containsKey(command)) {
            return Optional.of(TEXT.get(command));
        }
        // "vm" or "template": the list of its subcommands.
        StringBuilder b = new StringBuilder();
        TEXT.forEach((name, text) -> {
            if (name.startsWith(command + " ")) {
                b.append("  scalebox ").append(text.lines().findFirst().orElse("").substring(16)).append('\n');
            }
        });
        return b.length() == 0 ? Optional.empty() : Optional.of("Commands of '" + command + "':\n" + b);
    }

    static String overview() {
        StringBuilder b = new StringBuilder("Usage: scalebox [--json] COMMAND [ARGS...]\n\n"
                + "Client of scaleboxd, the Scalebox microVM server.\n\nCommands:\n");
        TEXT.forEach((name, text) -> b.append("  ").append(text.lines().findFirst().orElse("").substring(16))
                .append('\n'));
        b.append("""

                Options for every command:
                  --json      print the API's JSON instead of tables
                  -h, --help  help of the command

                Server and token: SCALEBOX_HOST and SCALEBOX_TOKEN, else ~/.config/scalebox/config
                (scalebox login; SCALEBOX_CONFIG_DIR moves it), else /etc/scalebox/config when readable.

                Exit codes: 0 ok, 1 failure, 2 usage error, 3 server unreachable, 4 error from the API,
                5 timeout; run and exec exit with the remote command's code (run: 255 when SSH failed), template build
                with the builder's (77: not root).
                See scalebox(1).
                """);
        return b.toString();
    }
}
