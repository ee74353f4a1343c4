// typage (the npm package `age-encryption`) as a small command line, for the
// interoperability tests in typage.rs. `TYPAGE_ENTRY` is the package's dist/index.js.
//
//   node typage.mjs keygen IDENTITY_FILE            hybrid identity; prints its recipient
//   node typage.mjs recipients IDENTITY_FILE        the recipient of each identity
//   node typage.mjs encrypt OUT IN RECIPIENT…       binary age file
//   node typage.mjs decrypt OUT IN IDENTITY_FILE…   binary or armored age file
//
// Identity files are age's: one key a line, `#` comments and blank lines ignored.

import { readFileSync, writeFileSync } from "node:fs"
import { pathToFileURL } from "node:url"

const age = await import(pathToFileURL(process.env.TYPAGE_ENTRY).href)

const keys = (path) =>
    readFileSync(path, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"))

const [mode, ...args] = process.argv.slice(2)
switch (mode) {
    case "keygen": {
        const identity = await age.generateHybridIdentity()
        const recipient = await age.identityToRecipient(identity)
        writeFileSync(args[0], `# public key: ${recipient}\n${identity}\n`, { mode: 0o600 })
        process.stdout.write(`${recipient}\n`)
        break
    }
    case "recipients": {
        for (const identity of keys(args[0])) {
            process.stdout.write(`${await age.identityToRecipient(identity)}\n`)
        }
        break
    }
    case "encrypt": {
        const [out, input, ...recipients] = args
        const encrypter = new age.Encrypter()
        for (const recipient of recipients) encrypter.addRecipient(recipient)
        writeFileSync(out, await encrypter.encrypt(new Uint8Array(readFileSync(input))))
        break
    }
    case "decrypt": {
        const [out, input, ...identityFiles] = args
        const decrypter = new age.Decrypter()
        for (const file of identityFiles) {
            for (const identity of keys(file)) decrypter.addIdentity(identity)
        }
        let file = new Uint8Array(readFileSync(input))
        const text = new TextDecoder().decode(file.subarray(0, 10))
        if (text.startsWith("-----BEGIN")) file = age.armor.decode(new TextDecoder().decode(file))
        writeFileSync(out, await decrypter.decrypt(file))
        break
    }
    default:
        throw new Error(`unknown mode ${mode}`)
}
