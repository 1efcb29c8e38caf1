package io.scalebox.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The CLI's own ed25519 key in the config directory, made with ssh-keygen on first use. */
record SshKey(Path privateKey) {
    static SshKey managed(Context ctx) throws CliException {
        Settings s = ctx.settings();
        SshKey key = new SshKey(s.sshKey());
        if (!Files.exists(key.publicFile())) {
            key.generate(ctx);
        }
        return key;
    }

    Path publicFile() {
        return privateKey.resolveSibling(privateKey.getFileName() + ".pub");
    }

    String publicKey() throws CliException {
        try {
            return Files.readString(publicFile(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot read " + publicFile() + ": " + e.getMessage());
        }
    }

    private void generate(Context ctx) throws CliException {
        try {
            Settings.ensureDir(privateKey.getParent());
            Files.deleteIfExists(privateKey); // a private key without its .pub: make a fresh pair
            Process p = new ProcessBuilder(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                    "scalebox-cli", "-f", privateKey.toString())).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new CliException(Exit.FAILURE, "ssh-keygen failed: " + output);
            }
            ctx.err.println("scalebox: created the SSH key " + privateKey + " for your VMs");
        } catch (IOException e) {
            throw new CliException(Exit.FAILURE, "cannot create an SSH key in " + privateKey.getParent() + ": "
                    + (e.getMessage() != null && e.getMessage().contains("ssh-keygen")
                    ? "ssh-keygen is not installed (apt install openssh-client), or pass -k" : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(Exit.FAILURE, "interrupted");
        }
    }
}
