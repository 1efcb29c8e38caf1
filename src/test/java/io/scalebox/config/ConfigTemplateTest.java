package io.scalebox.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The package's config template and the daemon's defaults must never drift apart. */
class ConfigTemplateTest {
    @Test
    void templateListsEveryKeyWithTheDaemonsDefault() throws Exception {
        Map<String, String> template = EnvFile.read(Path.of("config-templates/config"));
        for (ConfigKey key : ConfigKey.values()) {
            if (key == ConfigKey.INITRD_PATH) {
                // The one deliberate difference: an absent key means "no initrd" (package.md), while
                // an installed host boots the initrd that the debian-base build exports.
                assertEquals("/var/lib/scalebox/kernel/initrd.img", template.get(key.name()));
                continue;
            }
            assertEquals(key.defaultValue().orElse(""), template.get(key.name()), key.name());
        }
        assertEquals(ConfigKey.values().length, template.size(), "template has no extra keys");
    }
}
