package io.scalebox.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The package version the build stamped into the jar. */
public final class Version {
    private Version() {
    }

    public static String current() {
        try (InputStream in = Version.class.getResourceAsStream("/io/scalebox/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
